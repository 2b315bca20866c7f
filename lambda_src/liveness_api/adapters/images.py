"""ImageStore on S3: erasure of every version of a session's reference and audit images."""

from __future__ import annotations

from typing import Any

# DeleteObjects takes at most 1,000 keys a call.
_DELETE_BATCH = 1000


class ImageEraseIncomplete(Exception):
    """S3 refused to delete some versions; the ledger item is kept so that a repeated DELETE finishes the job."""


class S3ImageStore:
    def __init__(self, client: Any, *, bucket: str, key_prefix: str) -> None:
        self._client = client
        self._bucket = bucket
        self._key_prefix = key_prefix

    def session_prefix(self, session_id: str) -> str:
        return f"{self._key_prefix}{session_id}/"

    def erase_session_images(self, session_id: str) -> int:
        versions: list[dict[str, str]] = []
        paginator = self._client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=self.session_prefix(session_id)):
            # Delete markers are versions too: leaving them would keep the key names (and the session id) around.
            for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
                versions.append({"Key": entry["Key"], "VersionId": entry["VersionId"]})
        for start in range(0, len(versions), _DELETE_BATCH):
            batch = versions[start : start + _DELETE_BATCH]
            response = self._client.delete_objects(Bucket=self._bucket, Delete={"Objects": batch, "Quiet": True})
            if response.get("Errors"):
                raise ImageEraseIncomplete(f"{len(response['Errors'])} object versions could not be deleted")
        return len(versions)
