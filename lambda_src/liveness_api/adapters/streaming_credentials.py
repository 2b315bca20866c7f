"""StreamingCredentialsIssuer with STS: the function assumes the stack's streaming role for each create, with a
session policy that allows only StartFaceLivenessSession and the shortest duration STS allows.

The role's own policy allows that one action already; the session policy repeats it, so that the credentials stay
that narrow even if someone widens the role later (a session's permissions are the intersection of the two:
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session). Face Liveness sessions have
no ARN, so neither policy can name the one session: docs/web-and-mobile.md says what follows from that.
"""

from __future__ import annotations

import json
from typing import Any, Final

from liveness_api.adapters.faults import guarded
from liveness_api.models import StreamingCredentials
from liveness_api.vocabulary import Dependency

START_STREAM: Final = "rekognition:StartFaceLivenessSession"
# AssumeRole's DurationSeconds minimum (botocore's service model: `roleDurationSecondsType`, min 900).
SHORTEST_DURATION_SECONDS: Final = 900
SESSION_POLICY: Final = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": START_STREAM, "Resource": "*"}]},
    separators=(",", ":"),
)
# The role session's name carries the Face Liveness session's id, so CloudTrail ties each StartFaceLivenessSession
# call to the create that handed its credentials out (`[\w+=,.@-]{2,64}`: a UUID fits with this prefix).
SESSION_NAME_PREFIX: Final = "liveness-"


class StsStreamingCredentials:
    def __init__(self, client: Any, role_arn: str) -> None:
        self._client = client
        self._role_arn = role_arn

    def issue(self, session_id: str) -> StreamingCredentials:
        with guarded(Dependency.STS, "AssumeRole"):
            response = self._client.assume_role(
                RoleArn=self._role_arn,
                RoleSessionName=f"{SESSION_NAME_PREFIX}{session_id}",
                Policy=SESSION_POLICY,
                DurationSeconds=SHORTEST_DURATION_SECONDS,
            )
        credentials = response["Credentials"]
        return StreamingCredentials(
            access_key_id=credentials["AccessKeyId"],
            secret_access_key=credentials["SecretAccessKey"],
            session_token=credentials["SessionToken"],
            expiration=credentials["Expiration"],
        )
