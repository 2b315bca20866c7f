// The demo's calls to the Face Liveness API, and its problem+json errors in words a person understands.
import type { Access, StackAuth } from './access';
import type { TroubleshootingTopic } from './streaming';

export interface DemoConfig {
  /** Base URL of the API, e.g. http://127.0.0.1:3000 (no trailing slash needed). */
  apiUrl: string;
  /** The region the detector signs for (the session exists only there). */
  region: string;
  /** wss:// URL of the streaming endpoint (config.endpointOverride); absent means Rekognition's own. */
  streamingEndpoint?: string;
  /** True on `make local`: the demo may script the emulated outcome (local control routes). */
  localControls?: boolean;
  /** A deployed stack's caller mode and Cognito resources (`make demo-config`); absent on `make local`. */
  auth?: StackAuth;
  /** Where the troubleshooting page is (the repository's docs/troubleshooting.md, say); default: the build's copy. */
  troubleshootingUrl?: string;
}

/** The ID photo's media types: the image formats CompareFaces reads. */
export const DOCUMENT_CONTENT_TYPES = ['image/jpeg', 'image/png'] as const;
export type DocumentContentType = (typeof DOCUMENT_CONTENT_TYPES)[number];

/** Where the ID photo goes: an S3 presigned POST (every field, then the file last, as `file`). */
export interface DocumentUpload {
  url: string;
  fields: Record<string, string>;
  expiresAt: string;
  maxBytes: number;
  contentType: DocumentContentType;
}

export interface Session {
  sessionId: string;
  region: string;
  expiresAt: string;
  /** Present when the create asked for a match against an ID photo. */
  documentUpload?: DocumentUpload | null;
}

export type Verdict = 'LIVE' | 'NOT_LIVE' | 'PENDING' | 'EXPIRED' | 'FAILED';

export type MatchOutcome = 'MATCH' | 'NO_MATCH' | 'NO_FACE' | 'NOT_UPLOADED' | 'NOT_ENROLLED' | 'NOT_ATTEMPTED';

/** The face match, decided on the server with the liveness verdict. */
export interface MatchResult {
  against: 'DOCUMENT' | 'ENROLLED_PERSON';
  outcome: MatchOutcome;
  similarity?: number | null;
  threshold: number;
}

/** What Rekognition saw that the person can change before retrying: one of FeedbackCode, or a newer code. */
export interface Feedback {
  code: string;
  message: string;
}

export interface Results {
  sessionId: string;
  status: string;
  decision: Verdict;
  confidence?: number | null;
  threshold: number;
  match?: MatchResult | null;
  feedback?: Feedback[] | null;
}

/** Local only: whose face the emulator shows on the session's ID photo. */
export type DocumentFace = 'same' | 'other' | 'none';

interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  requestId?: string;
}

/** An API error, with a sentence for people and the problem document for the curious. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly slug: string | undefined,
    readonly retryAfterSeconds: number | undefined,
    readonly requestId: string | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The troubleshooting section that explains this problem, when one does. */
  get topic(): TroubleshootingTopic | undefined {
    if (this.slug === 'too-many-failed-checks') return 'coolDown';
    if (this.slug === 'session-not-found') return 'sessionNotFound';
    if (this.status === 401 || this.status === 403) return 'credentials';
    return undefined;
  }
}

const PROBLEM_PREFIX = 'urn:face-liveness-api:problem:';

function waitInWords(seconds: number | undefined): string {
  if (seconds === undefined) return 'a little while';
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** What to tell a person, by the problem's type. Unknown problems fall back to the API's own title. */
export function explain(status: number, slug: string | undefined, retryAfter: number | undefined, title?: string): string {
  const wait = waitInWords(retryAfter);
  switch (slug) {
    case 'too-many-failed-checks':
      return `Too many checks did not pass, so new checks are paused for a while. Please try again in ${wait}.`;
    case 'throttled':
    case 'caller-rate-limited':
    case 'quota-exceeded':
      return `The service is busy right now. Please wait ${wait} and try again.`;
    case 'too-many-open-sessions':
      return `You already have several checks open. Please wait ${wait} (an unfinished check lapses after 3 minutes) and try again.`;
    case 'session-not-found':
      return 'This check has expired or no longer exists. Start a new check.';
    case 'temporarily-unavailable':
    case 'service-unavailable':
    case 'deadline-exceeded':
    case 'upstream-timeout':
    case 'upstream-failure':
      return `The service is having trouble at the moment. Please try again in ${wait}.`;
    case 'access-denied':
    case 'missing-authentication':
    case 'unauthorized':
    case 'invalid-signature':
    case 'expired-token':
      return 'You are not signed in, or not allowed to do this.';
    default:
      if (status === 429) return `Too many requests. Please wait ${wait} and try again.`;
      if (status >= 500) return 'Something went wrong on our side. Please try again.';
      return title ? `The request was refused: ${title}.` : 'The request was refused.';
  }
}

export class Api {
  private readonly base: string;

  constructor(
    readonly config: DemoConfig,
    private readonly access: Access,
  ) {
    this.base = config.apiUrl.replace(/\/+$/, '');
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T | undefined> {
    const url = new URL(this.base + path, window.location.href);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers = {
      ...(text === undefined ? {} : { 'content-type': 'application/json' }),
      ...(await this.access.headers(method, url, text)),
    };
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body: text });
    } catch {
      throw new ApiError('The service cannot be reached. Check your connection and try again.', 0, undefined, undefined, undefined);
    }
    if (response.ok) {
      return response.status === 204 ? undefined : ((await response.json()) as T);
    }
    let problem: Problem = {};
    try {
      problem = (await response.json()) as Problem;
    } catch {
      // not problem+json (a proxy's page, say): the status says enough
    }
    const slug = problem.type?.startsWith(PROBLEM_PREFIX) ? problem.type.slice(PROBLEM_PREFIX.length) : undefined;
    const header = Number(response.headers.get('Retry-After'));
    const retryAfter = Number.isFinite(header) && header > 0 ? header : undefined;
    throw new ApiError(explain(response.status, slug, retryAfter, problem.title), response.status, slug, retryAfter, problem.requestId);
  }

  /** A new check; with `documentContentType`, matched on the server against an ID photo of that type. */
  async createSession(documentContentType?: DocumentContentType): Promise<Session> {
    const body = documentContentType ? { match: { against: 'DOCUMENT', documentContentType } } : {};
    return (await this.call<Session>('POST', '/sessions', body))!;
  }

  async results(sessionId: string): Promise<Results> {
    return (await this.call<Results>('GET', `/sessions/${encodeURIComponent(sessionId)}/results`))!;
  }

  async erase(sessionId: string): Promise<void> {
    await this.call('DELETE', `/sessions/${encodeURIComponent(sessionId)}`);
  }

  /** Local only: what the emulated check will end as once streamed. */
  async scriptOutcome(sessionId: string, outcome: 'live' | 'spoof' | 'fail'): Promise<void> {
    await this.call('POST', `/_local/sessions/${encodeURIComponent(sessionId)}/outcome`, { outcome });
  }

  /** Local only: what the emulator's face matching sees on the session's ID photo (the live face by default). */
  async scriptDocumentFace(sessionId: string, documentFace: DocumentFace): Promise<void> {
    const script = documentFace === 'other' ? { documentFace: 'someone-else' } : { documentFace: null };
    await this.call('POST', `/_local/sessions/${encodeURIComponent(sessionId)}/faces`, script);
  }
}

export async function loadConfig(): Promise<DemoConfig> {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  return (await response.json()) as DemoConfig;
}
