"""The multipart/form-data body of an S3 POST Object request, read as S3 reads it.

- The body is RFC 7578 multipart/form-data (RFC 2046 section 5.1 framing): parts between `--boundary` lines, each
  with a `Content-Disposition: form-data; name="..."` header, the close delimiter `--boundary--` after the last.
- The file is the `form-data` part named `file`; "the file or text content must be the last field in the form",
  and fields after it are ignored
  (https://docs.aws.amazon.com/AmazonS3/latest/developerguide/RESTObjectPOST.html).
- "The post parameters are case insensitive"
  (https://docs.aws.amazon.com/AmazonS3/latest/developerguide/sigv4-post-example.html): names are matched in
  lower case, and kept as sent for the error messages that name them.
- "The form data and boundaries (excluding the contents of the file) cannot exceed 20KB."
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

# The documented limit on everything before the file's content (S3 names 20,480 bytes in its error).
MAX_PRE_DATA_BYTES: Final = 20 * 1024
_BOUNDARY: Final = re.compile(r"""boundary=(?:"([^"]{1,70})"|([^;\s"]{1,70}))""", re.IGNORECASE)
_PARAMETER: Final = re.compile(r"""\s*([A-Za-z*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))""")


class FormError(Exception):
    """The body is not a form S3 could read: `reason` says which of S3's answers applies."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


NOT_MULTIPART: Final = "not-multipart"
MALFORMED: Final = "malformed"
PRE_DATA_TOO_LARGE: Final = "pre-data-too-large"


@dataclass
class PostForm:
    """The fields before the file, in order, as sent; and the file, if there was one."""

    fields: list[tuple[str, str]] = field(default_factory=list)
    file: bytes | None = None
    # The file part's `filename` parameter: None when the part has none (then `${filename}` stays as written).
    filename: str | None = None
    file_parts: int = 0

    def get(self, name: str) -> str | None:
        """A field's value by its case-insensitive name; repeated fields joined by commas, as S3 documents."""
        values = [value for key, value in self.fields if key.lower() == name.lower()]
        return ",".join(values) if values else None

    def names(self) -> list[str]:
        """Each field's name once, as first sent."""
        seen: dict[str, str] = {}
        for key, _ in self.fields:
            seen.setdefault(key.lower(), key)
        return list(seen.values())


def boundary_of(content_type: str | None) -> str:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != "multipart/form-data":
        raise FormError(NOT_MULTIPART)
    found = _BOUNDARY.search(content_type or "")
    if not found:
        raise FormError(MALFORMED)
    return (found.group(1) or found.group(2)).rstrip()


def parse_form(content_type: str | None, body: bytes) -> PostForm:
    boundary = boundary_of(content_type).encode("ascii", "replace")
    delimiter = b"\r\n--" + boundary
    # The first delimiter may open the body, with no CRLF before it; anything before it is a preamble.
    framed = b"\r\n" + body
    start = framed.find(delimiter)
    if start < 0:
        raise FormError(MALFORMED)
    form = PostForm()
    position = start + len(delimiter)
    while True:
        if framed.startswith(b"--", position):
            break
        line_end = framed.find(b"\r\n", position)
        if line_end < 0 or framed[position:line_end].strip(b" \t"):
            raise FormError(MALFORMED)
        part_start = line_end + 2
        part_end = framed.find(delimiter, part_start)
        if part_end < 0:
            raise FormError(MALFORMED)
        headers, content = _split_part(framed[part_start:part_end])
        name, filename, disposition = _disposition(headers)
        if disposition == "form-data" and name is not None and name.lower() == "file":
            form.file_parts += 1
            if form.file is None:
                if part_start > MAX_PRE_DATA_BYTES:
                    raise FormError(PRE_DATA_TOO_LARGE)
                form.file, form.filename = content, filename
            # Whatever follows the file is ignored; a second file only counts.
        elif form.file is None:
            if name is None:
                raise FormError(MALFORMED)
            form.fields.append((name, content.decode("utf-8", "replace")))
            if part_end > MAX_PRE_DATA_BYTES:
                raise FormError(PRE_DATA_TOO_LARGE)
        position = part_end + len(delimiter)
    return form


def _split_part(part: bytes) -> tuple[dict[str, str], bytes]:
    # "A body part that starts with a blank line ... is allowed" (RFC 2046): no headers at all.
    if part.startswith(b"\r\n"):
        return {}, part[2:]
    head, separator, content = part.partition(b"\r\n\r\n")
    if not separator:
        raise FormError(MALFORMED)
    headers: dict[str, str] = {}
    for line in head.split(b"\r\n"):
        name, colon, value = line.decode("utf-8", "replace").partition(":")
        if not colon:
            raise FormError(MALFORMED)
        headers[name.strip().lower()] = value.strip()
    return headers, content


def _disposition(headers: dict[str, str]) -> tuple[str | None, str | None, str]:
    """The part's `name` and `filename` parameters and its disposition type (RFC 2183, RFC 7578 section 4.2)."""
    value = headers.get("content-disposition", "")
    disposition, _, parameters = value.partition(";")
    found: dict[str, str] = {}
    for match in _PARAMETER.finditer(parameters):
        raw = match.group(2) if match.group(2) is not None else match.group(3)
        found.setdefault(match.group(1).lower(), re.sub(r"\\(.)", r"\1", raw))
    return found.get("name"), found.get("filename"), disposition.strip().lower()
