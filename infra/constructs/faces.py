"""The stack's Rekognition face collection: where enrolled persons (Rekognition users) and their indexed faces live.

It holds face vectors, not images, but they are biometric data of the same people as the images: it is kept or
deleted with the rest of the stack's data (`removalPolicy`), and only the function's role may touch it (exactly the
collection operations the handler calls, on this collection's ARN).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from aws_cdk import CfnTag
from aws_cdk import aws_iam as iam
from aws_cdk import aws_rekognition as rekognition
from constructs import Construct

from infra.constructs.storage import Retention
from liveness_api.contract import DOCUMENT_OBJECT_NAME, REFERENCE_OBJECT_NAME, SERVICE_NAME
from liveness_api.vocabulary import FaceOperation

# The collection operations the handler calls: enrolment (CreateUser, IndexFaces, AssociateFaces), the match against
# an enrolled person and the duplicate check (SearchUsersByImage), and erasure (DeleteFaces, DeleteUser). Each has the
# collection as its resource type in the service authorization reference
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrekognition.html). CompareFaces reads
# two S3 images and has no resource type at all, so it is granted apart, on `*`.
COLLECTION_OPERATIONS: Final = (
    FaceOperation.CREATE_USER,
    FaceOperation.INDEX_FACES,
    FaceOperation.ASSOCIATE_FACES,
    FaceOperation.SEARCH_USERS_BY_IMAGE,
    FaceOperation.DELETE_FACES,
    FaceOperation.DELETE_USER,
)
# Tags that say what the collection holds, for an account's data inventory.
COLLECTION_TAGS: Final = {"service": SERVICE_NAME, "data": "biometric-face-vectors"}


def collection_id_for(stack_name: str) -> str:
    """The collection's id (`[a-zA-Z0-9_.-]+`, which a stack name satisfies): one collection per stack."""
    return f"{stack_name}-faces"


@dataclass(frozen=True)
class FaceCollectionProps:
    """`name` (the stack's) names the collection; `retention` keeps or deletes it like the stack's other data."""

    name: str
    retention: Retention


class FaceCollection(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, props: FaceCollectionProps) -> None:
        super().__init__(scope, construct_id)
        self.collection = rekognition.CfnCollection(
            self,
            "Collection",
            collection_id=collection_id_for(props.name),
            tags=[CfnTag(key=key, value=value) for key, value in COLLECTION_TAGS.items()],
        )
        # DeletionPolicy and UpdateReplacePolicy both: a replacement (a new id) must not drop the enrolled faces
        # either when the stack keeps its data.
        self.collection.apply_removal_policy(props.retention.removal_policy)

    @property
    def collection_id(self) -> str:
        """The collection's id, as the function's environment names it (`Ref` of the resource)."""
        return self.collection.ref

    @property
    def collection_arn(self) -> str:
        return self.collection.attr_arn

    @property
    def actions(self) -> list[str]:
        return [f"rekognition:{operation}" for operation in COLLECTION_OPERATIONS]


def face_match_statements(images_arn: str, search: FaceCollection | None = None) -> list[iam.PolicyStatement]:
    """What deciding a face match takes, for every role that decides one (the API's function, the settlement
    worker): CompareFaces, and the session's faces as S3 objects, which Rekognition fetches with the caller's
    permissions (and HeadObject of the ID photo). `images_arn`: the bucket's ARN and the images' key prefix;
    `search`: the collection, for a role that may only search it (the function has every collection operation)."""
    statements = [
        iam.PolicyStatement(
            sid="CompareSessionFaces",
            actions=[f"rekognition:{FaceOperation.COMPARE_FACES}"],
            # CompareFaces has no resource type in the service authorization reference
            # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrekognition.html):
            # what it may read is bounded by ReadSessionFaces below.
            resources=["*"],
        ),
        # Each session's reference image and its uploaded ID photo, and nothing else of the bucket (no audit image).
        # GetObjectVersion: the version read is pinned.
        iam.PolicyStatement(
            sid="ReadSessionFaces",
            actions=["s3:GetObject", "s3:GetObjectVersion"],
            resources=[f"{images_arn}/{REFERENCE_OBJECT_NAME}", f"{images_arn}/{DOCUMENT_OBJECT_NAME}"],
        ),
    ]
    if search is not None:
        statements.append(
            iam.PolicyStatement(
                sid="SearchEnrolledPersons",
                actions=[f"rekognition:{FaceOperation.SEARCH_USERS_BY_IMAGE}"],
                resources=[search.collection_arn],
            )
        )
    return statements
