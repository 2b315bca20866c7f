"""Face match: the collection, the ID photo's bucket rules (encryption, CORS), the enrolment routes in every caller
mode, the error-rate alarm, and that no caller mode grants a caller anything on the images, the key or the
collection (only the function's role, which chooses every key and person itself, may touch them)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.constructs.faces import COLLECTION_TAGS
from infra.constructs.observability.face_match import ALARM_METRICS_LIMIT, ATTEMPT_OPERATIONS
from liveness_api import contract
from liveness_api import metrics_catalogue as catalogue
from liveness_api.vocabulary import FaceOperation
from tests.infrastructure.conftest import COMBOS, Combo, Combos, Synth, combo_id, synthesize

ENROLMENT_ROUTES = (contract.Routes.ENROL_PERSON, contract.Routes.ERASE_ENROLMENT)
# The one Rekognition action a caller's own credentials may use (streaming to a session created for it).
CALLER_REKOGNITION_ACTIONS = {"rekognition:StartFaceLivenessSession"}
SSE_KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id"


def statements_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- the collection -------------------------------------------------------------------------------------------


def test_one_collection_named_after_the_stack_and_tagged(synth: Synth) -> None:
    props = synth.only("AWS::Rekognition::Collection")["Properties"]
    assert props["CollectionId"] == f"{synth.config.stack_name}-faces"
    assert {tag["Key"]: tag["Value"] for tag in props["Tags"]} == COLLECTION_TAGS


def test_the_function_is_told_the_collection_it_may_use(synth: Synth) -> None:
    collection = synth.stack.faces.collection
    variables = synth.only("AWS::Lambda::Function")["Properties"]["Environment"]["Variables"]
    assert variables["FACE_COLLECTION_ID"] == synth.ref(collection)
    statements = statements_of(synth.stack.resolve(synth.stack.function.policy.document.to_json()))
    (granted,) = [s for s in statements if s["Sid"] == "UseFaceCollection"]
    assert granted["Resource"] == synth.arn(collection)


def test_the_role_may_call_the_face_operations_and_no_other_rekognition_image_action(synth: Synth) -> None:
    document = synth.only("AWS::IAM::Policy")["Properties"]["PolicyDocument"]
    actions = {action for s in statements_of(document) for action in as_list(s["Action"])}
    rekognition = {action for action in actions if action.startswith("rekognition:")}
    # ListUsers is a known operation, but the handler never lists a collection: it is not granted.
    face_operations = {f"rekognition:{op}" for op in FaceOperation if op is not FaceOperation.LIST_USERS}
    assert rekognition == face_operations | {
        "rekognition:CreateFaceLivenessSession",
        "rekognition:GetFaceLivenessSessionResults",
    }


# --- the ID photo in the bucket -------------------------------------------------------------------------------


def image_bucket_policy(synth: Synth) -> list[dict[str, Any]]:
    bucket = synth.ref(synth.stack.storage.image_bucket)
    (policy,) = [
        resource["Properties"]["PolicyDocument"]
        for resource in synth.resources("AWS::S3::BucketPolicy").values()
        if resource["Properties"]["Bucket"] == bucket
    ]
    return statements_of(policy)


def test_the_bucket_refuses_an_id_photo_not_encrypted_with_the_stacks_key(synth: Synth) -> None:
    storage = synth.stack.storage
    documents = {"Fn::Join": ["", [synth.arn(storage.image_bucket), f"/{synth.config.image_key_prefix}*/document"]]}
    deny = [s for s in image_bucket_policy(synth) if s.get("Sid", "").startswith("DenyDocuments")]
    assert deny == [
        {
            "Sid": "DenyDocumentsWithoutKms",
            "Action": "s3:PutObject",
            "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": documents,
        },
        {
            "Sid": "DenyDocumentsWithAnotherKey",
            "Action": "s3:PutObject",
            "Condition": {
                "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": synth.arn(storage.key)}
            },
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": documents,
        },
    ]
    # The image bucket's policy allows nobody anything: access comes from the function's role alone.
    assert [s for s in image_bucket_policy(synth) if s["Effect"] != "Deny"] == []


@pytest.mark.parametrize("combo", COMBOS, ids=[combo_id(c) for c in COMBOS])
def test_browsers_may_post_the_upload_only_in_the_browser_modes(combos: Combos, combo: Combo) -> None:
    built = combos[combo]
    bucket = built.json["Resources"][built.logical_id(built.stack.storage.image_bucket)]["Properties"]
    if not built.config.browser_mode:
        assert "CorsConfiguration" not in bucket
        return
    assert bucket["CorsConfiguration"] == {
        "CorsRules": [
            {"AllowedMethods": ["POST"], "AllowedOrigins": list(built.config.cors_allowed_origins), "MaxAge": 600}
        ]
    }


def test_a_backend_mode_with_origins_still_has_no_bucket_cors(variant: Synth) -> None:
    # The variant lists origins for the API's preflight, but in plain IAM mode the backend uploads the ID photo.
    assert variant.config.cors_allowed_origins
    assert not variant.config.browser_mode
    bucket = variant.json["Resources"][variant.logical_id(variant.stack.storage.image_bucket)]["Properties"]
    assert "CorsConfiguration" not in bucket


# --- the enrolment routes -------------------------------------------------------------------------------------


def route_methods(built: Synth) -> dict[tuple[str, str], dict[str, Any]]:
    from tests.infrastructure.test_infra_api import methods

    return {(method, path): props for method, path, props in methods(built) if method != "OPTIONS"}


@pytest.mark.parametrize("combo", COMBOS, ids=[combo_id(c) for c in COMBOS])
def test_enrolment_routes_are_authorized_and_validated_like_every_route(combos: Combos, combo: Combo) -> None:
    built = combos[combo]
    found = route_methods(built)
    assert set(found) == {(route.method, route.path) for route in contract.Routes.ALL}
    authorizations = {
        json.dumps([props["AuthorizationType"], props.get("AuthorizerId")], sort_keys=True) for props in found.values()
    }
    assert len(authorizations) == 1, authorizations
    expected = "COGNITO_USER_POOLS" if built.config.authorization == "COGNITO" else "AWS_IAM"
    validator = built.ref(built.stack.api.request_validator)
    for route in ENROLMENT_ROUTES:
        props = found[(route.method, route.path)]
        assert props["AuthorizationType"] == expected
        assert props["RequestValidatorId"] == validator
        assert props["Integration"]["Type"] == "AWS_PROXY"


# --- the error-rate alarm -------------------------------------------------------------------------------------


TUNED_MATCH = {
    "stackName": "FaceLivenessMatchTuned",
    "alarmFaceMatchErrorRatePercent": 12,
    "alarmFaceMatchMinAttempts": 7,
}


@pytest.fixture(scope="module")
def tuned_match(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(TUNED_MATCH, tmp_path_factory.mktemp("cdk-match-tuned"))


def face_match_alarm(synth: Synth) -> dict[str, Any]:
    (alarm,) = [
        resource["Properties"]
        for resource in synth.resources("AWS::CloudWatch::Alarm").values()
        if resource["Properties"]["AlarmName"] == f"{synth.config.stack_name}-FaceMatchErrorRate"
    ]
    return dict(alarm)


def test_the_error_rate_divides_every_face_match_error_by_the_attempts(default: Synth) -> None:
    alarm = face_match_alarm(default)
    stats = {m["Id"]: m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m}
    assert len(stats) <= ALARM_METRICS_LIMIT
    errors = {
        metric_id: stat["Metric"]["Dimensions"][0]["Value"]
        for metric_id, stat in stats.items()
        if stat["Metric"]["MetricName"] == catalogue.FACE_MATCH_ERROR.name
    }
    assert sorted(errors.values()) == sorted(
        dims[catalogue.Dimension.ERROR_TYPE] for dims in catalogue.FACE_MATCH_ERROR.every_dimension_map()
    )
    attempts = {
        metric_id: stat["Metric"]["Dimensions"][0]["Value"]
        for metric_id, stat in stats.items()
        if stat["Metric"]["MetricName"] == catalogue.REKOGNITION_LATENCY.name
    }
    assert sorted(attempts.values()) == sorted(ATTEMPT_OPERATIONS)
    assert {stats[metric_id]["Stat"] for metric_id in attempts} == {"SampleCount"}
    assert {stats[metric_id]["Stat"] for metric_id in errors} == {"Sum"}
    assert {stat["Period"] for stat in stats.values()} == {300}
    (expression,) = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
    failed = " + ".join(f"FILL({metric_id}, 0)" for metric_id in errors)
    assert f"100 * ({failed}) /" in expression
    assert all(f"FILL({metric_id}, 0)" in expression.split(">=")[0] for metric_id in [*attempts, *errors])
    assert ">= 5," in expression
    assert (alarm["Threshold"], alarm["EvaluationPeriods"], alarm["TreatMissingData"]) == (5, 3, "notBreaching")
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_the_error_rate_alarm_follows_its_knobs_and_pages_with_the_others(tuned_match: Synth) -> None:
    alarm = face_match_alarm(tuned_match)
    assert alarm["Threshold"] == 12
    assert ">= 7," in next(m["Expression"] for m in alarm["Metrics"] if "Expression" in m)
    topic = tuned_match.ref(tuned_match.stack.observability.topic)
    assert alarm["AlarmActions"] == [topic]
    composite = tuned_match.only("AWS::CloudWatch::CompositeAlarm")["Properties"]
    watched = [part["Fn::GetAtt"][0] for part in composite["AlarmRule"]["Fn::Join"][1] if isinstance(part, dict)]
    (logical_id,) = [
        key
        for key, resource in tuned_match.resources("AWS::CloudWatch::Alarm").items()
        if resource["Properties"]["AlarmName"].endswith("-FaceMatchErrorRate")
    ]
    assert logical_id in watched


# --- nobody but the function reaches the images, the key or the collection ------------------------------------


def service_roles(built: Synth) -> list[Any]:
    """The roles of the stack's own functions: the API's, the settlement worker's, the outbox forwarder's and the
    webhook's. Every other principal it creates is a caller's."""
    stack = built.stack
    functions = (stack.settlement.worker, stack.events.forwarder, stack.events.webhook)
    return [built.ref(stack.function.role), *(built.ref(f.role) for f in functions if f is not None)]


def caller_statements(built: Synth) -> list[dict[str, Any]]:
    """Every IAM statement of every principal the stack creates other than its own functions' roles."""
    services = service_roles(built)
    found: list[dict[str, Any]] = []
    for policy in built.resources("AWS::IAM::Policy").values():
        if not set(map(json.dumps, policy["Properties"]["Roles"])) <= set(map(json.dumps, services)):
            found += statements_of(policy["Properties"]["PolicyDocument"])
    for managed in built.resources("AWS::IAM::ManagedPolicy").values():
        found += statements_of(managed["Properties"]["PolicyDocument"])
    for role in built.resources("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]
        for inline in role["Properties"].get("Policies", []):
            found += statements_of(inline["PolicyDocument"])
    return found


@pytest.mark.parametrize("combo", COMBOS, ids=[combo_id(c) for c in COMBOS])
def test_no_caller_mode_lets_a_caller_reach_images_faces_or_the_key(combos: Combos, combo: Combo) -> None:
    built = combos[combo]
    statements = caller_statements(built)
    # Identity-pool modes give callers roles of their own: those are what is checked here.
    assert bool(statements) == (built.stack.identity_pool is not None)
    private = [
        built.logical_id(built.stack.storage.image_bucket),
        built.logical_id(built.stack.storage.key),
        built.logical_id(built.stack.faces.collection),
    ]
    for statement in statements:
        actions = set(as_list(statement["Action"]))
        assert not {a for a in actions if a.split(":")[0] in {"s3", "kms", "dynamodb"}}, statement
        assert {a for a in actions if a.startswith("rekognition:")} <= CALLER_REKOGNITION_ACTIONS, statement
        assert not [name for name in private if name in json.dumps(statement["Resource"])], statement
    # The image key lets nobody but the stack's own functions use it (the account only administers it).
    key = built.json["Resources"][built.logical_id(built.stack.storage.key)]["Properties"]["KeyPolicy"]
    users = [
        principal
        for s in statements_of(key)
        if "kms:Decrypt" in as_list(s["Action"])
        for principal in as_list(s["Principal"]["AWS"])
    ]
    service_arns = [{"Fn::GetAtt": [role["Ref"], "Arn"]} for role in service_roles(built)]
    assert users
    assert all(user in service_arns for user in users), users
    # And the bucket's policy allows nothing to anyone.
    assert [s for s in image_bucket_policy(built) if s["Effect"] != "Deny"] == []
