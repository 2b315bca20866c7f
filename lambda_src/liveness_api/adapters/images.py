"""ImageStore on S3: erasure of every version of a session's reference and audit images.

A failed call, or a DeleteObjects that refused some keys, ends the erasure with the fault's answer
(`adapters.faults`): the ledger item is kept, so a repeated DELETE lists what is left and finishes the job.
"""

from __future__ import annotations

from typing import Any

from liveness_api.adapters.faults import error_type_of_code, failure_of, guarded
from liveness_api.vocabulary import Dependency

# DeleteObjects takes at most 1,000 keys a call.
_DELETE_BATCH = 1000


class S3ImageStore:
    def __init__(self, client: Any, *, bucket: str, key_prefix: str) -> None:
        self.client = client
        self._bucket = bucket
        self._key_prefix = key_prefix

    def session_prefix(self, session_id: str) -> str:
        return f"{self._key_prefix}{session_id}/"

    def erase_session_images(self, session_id: str) -> int:
        versions: list[dict[str, str]] = []
        with guarded(Dependency.S3, "ListObjectVersions"):
            paginator = self.client.get_paginator("list_object_versions")
            for page in paginator.paginate(Bucket=self._bucket, Prefix=self.session_prefix(session_id)):
                # Delete markers are versions too: leaving them would keep the key names (and the session id) around.
                for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
                    versions.append({"Key": entry["Key"], "VersionId": entry["VersionId"]})
        for start in range(0, len(versions), _DELETE_BATCH):
            batch = versions[start : start + _DELETE_BATCH]
            with guarded(Dependency.S3, "DeleteObjects"):
                response = self.client.delete_objects(Bucket=self._bucket, Delete={"Objects": batch, "Quiet": True})
            refused = response.get("Errors")
            if refused:
                # Per-key errors (AccessDenied, SlowDown, InternalError, ...): answered like the first of them.
                code = str(refused[0].get("Code", ""))
                error_type = error_type_of_code(Dependency.S3, code, str(refused[0].get("Message", "")))
                raise failure_of(Dependency.S3, "DeleteObjects", error_type, code)
        return len(versions)
