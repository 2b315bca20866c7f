"""Face matching: the similarity a match needs, the ID photo's upload, and enrolment. The function reads each from
its environment."""

from __future__ import annotations

from pydantic import BaseModel, Field

# CompareFaces reads images of up to 15 MB from S3 (https://docs.aws.amazon.com/rekognition/latest/APIReference/API_CompareFaces.html).
COMPARE_FACES_MAX_S3_BYTES = 15 * 1024 * 1024


class MatchKnobs(BaseModel):
    """Face match"""

    match_threshold: float = Field(
        99.0,
        alias="matchThreshold",
        ge=0,
        le=100,
        description="similarity (percent) at or above which the live face MATCHes the ID photo or the enrolled "
        "person; AWS recommends 99 where a wrong match is costly, such as identity verification "
        "(https://docs.aws.amazon.com/rekognition/latest/dg/thresholds-collections.html)",
    )
    document_max_bytes: int = Field(
        5 * 1024 * 1024,
        alias="documentMaxBytes",
        ge=1024,
        le=COMPARE_FACES_MAX_S3_BYTES,
        description="the largest ID photo the upload target accepts, in bytes (CompareFaces reads up to 15 MB)",
    )
    document_upload_seconds: int = Field(
        300,
        alias="documentUploadSeconds",
        ge=60,
        le=3600,
        description="how long an ID photo's upload target is valid after `POST /sessions`",
    )
    enrolment_duplicate_check: bool = Field(
        False,
        alias="enrolmentDuplicateCheck",
        description="refuse to enrol a face that already belongs to another person in the collection (409), "
        "without saying whose; one more SearchUsersByImage per enrolment",
    )
