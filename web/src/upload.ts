// The ID photo's upload: straight to S3 with the presigned POST the API returned, never through the API itself.
// S3 answers a refused upload with an XML error; the person gets a sentence.
import { DOCUMENT_CONTENT_TYPES } from './api';
import type { DocumentContentType, DocumentUpload } from './api';

export class UploadError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

export function isDocumentType(type: string): type is DocumentContentType {
  return (DOCUMENT_CONTENT_TYPES as readonly string[]).includes(type);
}

function megabytes(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
}

/** What to tell a person about S3's refusal, by its error code (and the policy's reason where it says one). */
export function explainUploadError(code: string, message: string, maxBytes: number): string {
  switch (code) {
    case 'EntityTooLarge':
      return `The ID photo is too large. Choose one of at most ${megabytes(maxBytes)}.`;
    case 'EntityTooSmall':
      return 'The ID photo file is empty. Choose another file.';
    case 'AccessDenied':
      if (/expired/i.test(message)) return 'The time to upload the ID photo ran out. Start a new check.';
      return 'The upload of the ID photo was refused. Start a new check and try again.';
    default:
      return `The ID photo could not be stored (${code || 'no reason given'}). Please start a new check.`;
  }
}

/** Check the photo before anything is sent: the form S3 takes is JPEG or PNG, of at most `maxBytes`. */
export function photoProblem(file: File, maxBytes?: number): string | undefined {
  if (!isDocumentType(file.type)) return 'Choose a JPEG or PNG photo of your ID document.';
  if (file.size === 0) return 'The ID photo file is empty. Choose another file.';
  if (maxBytes !== undefined && file.size > maxBytes) {
    return `The ID photo is too large. Choose one of at most ${megabytes(maxBytes)}.`;
  }
  return undefined;
}

/** POST the photo to S3: every field of the presigned POST in order, then the file, last, as `file`. */
export async function uploadDocument(upload: DocumentUpload, file: File): Promise<void> {
  const problem = photoProblem(file, upload.maxBytes);
  if (problem) throw new UploadError(problem);
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append('file', file);
  let response: Response;
  try {
    response = await fetch(upload.url, { method: 'POST', body: form });
  } catch {
    throw new UploadError('The ID photo could not be uploaded. Check your connection and try again.');
  }
  if (response.ok) return;
  const text = await response.text().catch(() => '');
  const xml = new DOMParser().parseFromString(text, 'application/xml');
  const code = xml.querySelector('Error > Code')?.textContent ?? '';
  const message = xml.querySelector('Error > Message')?.textContent ?? '';
  throw new UploadError(explainUploadError(code, message, upload.maxBytes), code);
}
