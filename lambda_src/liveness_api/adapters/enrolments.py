"""Enrolments on DynamoDB: each owner's enrolled person, one item in the session table.

`PERSON#<sha256(owner)>`: `faces` (the session each face came from -> its face id and whether it is associated with
the person's user in the collection) and `enrolledAt` (the first association). No TTL: an enrolment lasts until the
owner erases it. The face ids never leave the backend; the collection's user id is derived from the owner
(`enrolment.person_user_id`), so the item holds no identity in clear.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from liveness_api.adapters.faults import dynamodb_calls, is_condition_failure
from liveness_api.contract import LEDGER_PARTITION_KEY
from liveness_api.ports import EnrolledFace, Person


def _person_key(owner: str) -> dict[str, dict[str, str]]:
    return {LEDGER_PARTITION_KEY: {"S": "PERSON#" + hashlib.sha256(owner.encode()).hexdigest()}}


class DynamoEnrolments:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    @dynamodb_calls
    def get_person(self, owner: str) -> Person | None:
        item = self._client.get_item(TableName=self._table, Key=_person_key(owner), ConsistentRead=True).get("Item")
        return None if item is None else _person(item)

    @dynamodb_calls
    def record_face(self, owner: str, session_id: str, face_id: str) -> None:
        face = {"M": {"faceId": {"S": face_id}, "associated": {"BOOL": False}}}
        try:
            # The first face creates the map; DynamoDB cannot create a map and an entry of it in one expression.
            self._client.put_item(
                TableName=self._table,
                Item={**_person_key(owner), "faces": {"M": {session_id: face}}},
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": LEDGER_PARTITION_KEY},
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            self._client.update_item(
                TableName=self._table,
                Key=_person_key(owner),
                UpdateExpression="SET #faces.#session = :face",
                ExpressionAttributeNames={"#faces": "faces", "#session": session_id},
                ExpressionAttributeValues={":face": face},
            )

    @dynamodb_calls
    def mark_associated(self, owner: str, session_id: str, now: datetime) -> Person:
        response = self._client.update_item(
            TableName=self._table,
            Key=_person_key(owner),
            UpdateExpression="SET #faces.#session.associated = :true, enrolledAt = if_not_exists(enrolledAt, :now)",
            ConditionExpression="attribute_exists(#faces.#session)",
            ExpressionAttributeNames={"#faces": "faces", "#session": session_id},
            ExpressionAttributeValues={":true": {"BOOL": True}, ":now": {"S": now.isoformat()}},
            ReturnValues="ALL_NEW",
        )
        return _person(response["Attributes"])

    @dynamodb_calls
    def forget_face(self, owner: str, session_id: str) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_person_key(owner),
                UpdateExpression="REMOVE #faces.#session",
                # Never creates the item: an erased person stays erased.
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames={"#faces": "faces", "#session": session_id, "#pk": LEDGER_PARTITION_KEY},
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise

    @dynamodb_calls
    def delete_person(self, owner: str) -> None:
        self._client.delete_item(TableName=self._table, Key=_person_key(owner))


def _person(item: dict[str, Any]) -> Person:
    faces = {
        session_id: EnrolledFace(face_id=face["M"]["faceId"]["S"], associated=face["M"]["associated"]["BOOL"])
        for session_id, face in item.get("faces", {}).get("M", {}).items()
    }
    enrolled_at = item.get("enrolledAt")
    return Person(faces=faces, enrolled_at=datetime.fromisoformat(enrolled_at["S"]) if enrolled_at else None)
