"""Settlement and events as synthesized: the queues and their dead-letter alarms, the rules, the bus with its archive
and schema registry, the ledger's stream and exactly the permissions each background function has."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config.events import STREAM_RETRIES, event_schemas, object_created_pattern
from infra.constructs.events import WEBHOOK_BATCH_SIZE, WEBHOOK_MAX_RECEIVES
from infra.constructs.function import LAMBDA_SRC
from infra.constructs.settlement import MAX_CONCURRENT_WORKERS, MAX_RECEIVES
from liveness_api.environment import EnvVar
from liveness_api.event_contract import DELIVERY_TIMEOUT_SECONDS
from tests.infrastructure.conftest import Combos, Synth, synthesize

WEBHOOK = "https://hooks.example.com/liveness"


@pytest.fixture(scope="module")
def with_webhook(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize({"webhookUrl": WEBHOOK, "eventArchiveRetentionDays": 7}, tmp_path_factory.mktemp("webhook"))


def one(synth: Synth, resource_type: str) -> dict[str, Any]:
    """The stack's one resource of the type (`Synth.only` looks at the API's resources alone)."""
    (found,) = synth.resources(resource_type).values()
    return found


def resource(synth: Synth, construct: Any) -> dict[str, Any]:
    return dict(synth.json["Resources"][synth.logical_id(construct)])


def policy_statements(synth: Synth, policy: Any) -> dict[str, dict[str, Any]]:
    document = resource(synth, policy)["Properties"]["PolicyDocument"]
    return {statement["Sid"]: statement for statement in document["Statement"]}


def test_the_stack_has_its_own_bus_with_an_archive_of_everything_it_publishes(default: Synth) -> None:
    events = default.stack.events
    assert resource(default, events.bus)["Properties"]["Name"] == f"{default.config.stack_name}-events"
    archive = one(default, "AWS::Events::Archive")["Properties"]
    assert archive["SourceArn"] == default.arn(events.bus)
    assert archive["RetentionDays"] == default.config.event_archive_retention_days
    assert archive["EventPattern"] == {"source": ["face-liveness-api"]}


def test_the_archive_keeps_events_as_long_as_the_knob_says(with_webhook: Synth) -> None:
    assert one(with_webhook, "AWS::Events::Archive")["Properties"]["RetentionDays"] == 7


def test_each_event_type_s_committed_schema_is_registered(default: Synth) -> None:
    registry = one(default, "AWS::EventSchemas::Registry")
    schemas = default.resources("AWS::EventSchemas::Schema")
    registered = {json.loads(s["Properties"]["Content"])["title"]: s["Properties"] for s in schemas.values()}
    assert {title: json.loads(p["Content"]) for title, p in registered.items()} == {
        event_type: json.loads(content) for event_type, content in event_schemas().items()
    }
    for properties in registered.values():
        assert properties["Type"] == "JSONSchemaDraft4"
        assert properties["RegistryName"] == {
            "Fn::GetAtt": [default.logical_id(default.stack.events.registry), "RegistryName"]
        }
    assert registry["Properties"]["RegistryName"] == f"{default.config.stack_name}-events"


def test_the_ledger_streams_both_images_and_the_bucket_notifies_eventbridge(default: Synth) -> None:
    table = resource(default, default.stack.storage.table)["Properties"]
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    bucket = resource(default, default.stack.storage.image_bucket)["Properties"]
    assert bucket["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    # S3's notifications are set on the bucket itself: no custom resource (and no function of its own) writes them.
    assert not default.resources("Custom::S3BucketNotifications")


def queue_props(synth: Synth, queue: Any) -> dict[str, Any]:
    return dict(resource(synth, queue)["Properties"])


def test_settlement_queue_redrives_to_its_dead_letter_queue_and_is_encrypted(synth: Synth) -> None:
    settlement = synth.stack.settlement
    queue = queue_props(synth, settlement.queue)
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": synth.arn(settlement.dead_letters),
        "maxReceiveCount": MAX_RECEIVES,
    }
    assert queue["VisibilityTimeout"] == 6 * synth.config.lambda_timeout_seconds
    for props in (queue, queue_props(synth, settlement.dead_letters)):
        assert props["SqsManagedSseEnabled"] is True
    assert queue_props(synth, settlement.dead_letters)["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_reference_images_on_the_default_bus_go_to_the_settlement_queue_alone(default: Synth) -> None:
    settlement = default.stack.settlement
    rule = resource(default, settlement.rule)["Properties"]
    assert "EventBusName" not in rule  # the account's default bus, where S3 sends its events
    expected = object_created_pattern("BUCKET", default.config.image_key_prefix)
    expected["detail"]["bucket"]["name"] = [default.ref(default.stack.storage.image_bucket)]
    assert rule["EventPattern"] == expected
    assert [target["Arn"] for target in rule["Targets"]] == [default.arn(settlement.queue)]
    policies = [p["Properties"] for p in default.resources("AWS::SQS::QueuePolicy").values()]
    (policy,) = [p for p in policies if p["Queues"] == [default.ref(settlement.queue)]]
    queue_arn = default.arn(settlement.queue)
    # Only this rule may send (CDK's SQS target grants these three actions), and never without TLS.
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Action": "sqs:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": queue_arn,
        },
        {
            "Action": ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"],
            "Condition": {"ArnEquals": {"aws:SourceArn": default.arn(settlement.rule)}},
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Resource": queue_arn,
        },
    ]


def test_the_worker_consumes_the_queue_reporting_each_message_s_failure(default: Synth) -> None:
    settlement = default.stack.settlement
    mappings = default.resources("AWS::Lambda::EventSourceMapping").values()
    (mapping,) = [
        m["Properties"] for m in mappings if m["Properties"]["EventSourceArn"] == default.arn(settlement.queue)
    ]
    assert mapping["FunctionName"] == default.ref(settlement.worker.function)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": MAX_CONCURRENT_WORKERS}
    function = resource(default, settlement.worker.function)["Properties"]
    assert function["Handler"] == "liveness_api.settlement_entry.lambda_handler"
    assert function["Environment"]["Variables"][EnvVar.SETTLEMENT_QUEUE_URL] == default.ref(settlement.queue)


def key_use(synth: Synth) -> dict[str, Any]:
    region = synth.config.region
    return {
        "Sid": "UseImageKeyThroughS3AndDynamoDb",
        "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
        "Condition": {
            "StringEquals": {
                "kms:ViaService": [
                    f"s3.{region}.amazonaws.com",
                    f"dynamodb.{region}.amazonaws.com",
                    f"rekognition.{region}.amazonaws.com",
                ]
            }
        },
        "Effect": "Allow",
        "Resource": synth.arn(synth.stack.storage.key),
    }


def own_logs_and_traces(synth: Synth, function: Any) -> dict[str, dict[str, Any]]:
    return {
        "WriteOwnLogs": {
            "Sid": "WriteOwnLogs",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": synth.arn(function.log_group),
        },
        "PublishTraces": {
            "Sid": "PublishTraces",
            "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
            "Effect": "Allow",
            "Resource": "*",
        },
    }


def test_the_worker_may_do_exactly_what_settling_takes(synth: Synth) -> None:
    settlement = synth.stack.settlement
    bucket = synth.arn(synth.stack.storage.image_bucket)
    images = {"Fn::Join": ["", [bucket, f"/{synth.config.image_key_prefix}*/reference.jpg"]]}
    documents = {"Fn::Join": ["", [bucket, f"/{synth.config.image_key_prefix}*/document"]]}
    assert policy_statements(synth, settlement.worker.policy) == {
        # A face match is decided with the verdict, whichever path records it.
        "CompareSessionFaces": {
            "Sid": "CompareSessionFaces",
            "Action": "rekognition:CompareFaces",
            "Effect": "Allow",
            "Resource": "*",
        },
        "ReadSessionFaces": {
            "Sid": "ReadSessionFaces",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Effect": "Allow",
            "Resource": [documents, images],
        },
        "SearchEnrolledPersons": {
            "Sid": "SearchEnrolledPersons",
            "Action": "rekognition:SearchUsersByImage",
            "Effect": "Allow",
            "Resource": synth.arn(synth.stack.faces.collection),
        },
        "ReadFaceLivenessResults": {
            "Sid": "ReadFaceLivenessResults",
            "Action": "rekognition:GetFaceLivenessSessionResults",
            "Effect": "Allow",
            "Resource": "*",
        },
        "RecordVerdicts": {
            "Sid": "RecordVerdicts",
            "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
            "Effect": "Allow",
            "Resource": synth.arn(synth.stack.storage.table),
        },
        "ConsumeSettlementQueue": {
            "Sid": "ConsumeSettlementQueue",
            "Action": [
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ReceiveMessage",
            ],
            "Effect": "Allow",
            "Resource": synth.arn(settlement.queue),
        },
        "UseImageKeyThroughS3AndDynamoDb": key_use(synth),
        **own_logs_and_traces(synth, settlement.worker),
    }


def test_the_forwarder_reads_the_stream_and_may_publish_only_to_its_bus_and_queue(synth: Synth) -> None:
    events = synth.stack.events
    stream = {"Fn::GetAtt": [synth.logical_id(synth.stack.storage.table), "StreamArn"]}
    assert policy_statements(synth, events.forwarder.policy) == {
        "ReadLedgerStream": {
            "Sid": "ReadLedgerStream",
            "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
            "Effect": "Allow",
            "Resource": stream,
        },
        "ListLedgerStreams": {
            "Sid": "ListLedgerStreams",
            "Action": "dynamodb:ListStreams",
            "Effect": "Allow",
            "Resource": "*",
        },
        "PublishEvents": {
            "Sid": "PublishEvents",
            "Action": "events:PutEvents",
            "Effect": "Allow",
            "Resource": synth.arn(events.bus),
        },
        "SendExpiryMessages": {
            "Sid": "SendExpiryMessages",
            "Action": "sqs:SendMessage",
            "Effect": "Allow",
            "Resource": synth.arn(synth.stack.settlement.queue),
        },
        "DeadLetterStreamRecords": {
            "Sid": "DeadLetterStreamRecords",
            "Action": "sqs:SendMessage",
            "Effect": "Allow",
            "Resource": synth.arn(events.stream_dead_letters),
        },
        "ReadPseudonymKey": {
            "Sid": "ReadPseudonymKey",
            "Action": "secretsmanager:GetSecretValue",
            "Effect": "Allow",
            "Resource": synth.ref(events.pseudonym_key),
        },
        "UseImageKeyThroughS3AndDynamoDb": key_use(synth),
        **own_logs_and_traces(synth, events.forwarder),
    }
    mappings = synth.resources("AWS::Lambda::EventSourceMapping").values()
    (mapping,) = [m["Properties"] for m in mappings if m["Properties"]["EventSourceArn"] == stream]
    assert mapping["FunctionName"] == synth.ref(events.forwarder.function)
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == STREAM_RETRIES
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": synth.arn(events.stream_dead_letters)}}


def test_every_dead_letter_queue_has_an_alarm_that_notifies_the_topic(synth: Synth) -> None:
    queues = [synth.stack.settlement.dead_letters, synth.stack.events.stream_dead_letters]
    if synth.stack.events.webhook is not None:
        queues.append(synth.stack.events.webhook_dead_letters)
    alarms = [a["Properties"] for a in synth.resources("AWS::CloudWatch::Alarm").values()]
    topic = synth.ref(synth.stack.observability.topic)
    for queue in queues:
        (alarm,) = [
            a
            for a in alarms
            if a.get("Dimensions")
            == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [synth.logical_id(queue), "QueueName"]}}]
        ]
        assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert alarm["Threshold"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["AlarmActions"] == [topic]


def test_no_webhook_unless_a_url_is_given(default: Synth) -> None:
    assert default.stack.events.webhook is None
    handlers = [f["Properties"]["Handler"] for f in default.resources("AWS::Lambda::Function").values()]
    assert "liveness_api.webhook_entry.lambda_handler" not in handlers
    forwarder = resource(default, default.stack.events.forwarder.function)["Properties"]
    assert forwarder["Environment"]["Variables"][EnvVar.WEBHOOK_URL] == ""


def test_the_webhook_queue_receives_every_published_event_and_its_sender_exactly_what_it_needs(
    with_webhook: Synth,
) -> None:
    events = with_webhook.stack.events
    assert events.webhook is not None
    assert events.webhook_queue is not None
    assert events.webhook_secret is not None
    queue = queue_props(with_webhook, events.webhook_queue)
    assert queue["RedrivePolicy"]["maxReceiveCount"] == WEBHOOK_MAX_RECEIVES
    # A batch whose every receiver times out still ends within the function's timeout, and that within the queue's.
    timeout = resource(with_webhook, events.webhook.function)["Properties"]["Timeout"]
    assert WEBHOOK_BATCH_SIZE * DELIVERY_TIMEOUT_SECONDS < timeout <= queue["VisibilityTimeout"] / 6
    rules = [r["Properties"] for r in with_webhook.resources("AWS::Events::Rule").values()]
    (rule,) = [r for r in rules if r.get("EventBusName") == with_webhook.ref(events.bus)]
    assert rule["EventPattern"] == {"source": ["face-liveness-api"]}
    assert [t["Arn"] for t in rule["Targets"]] == [with_webhook.arn(events.webhook_queue)]
    assert policy_statements(with_webhook, events.webhook.policy) == {
        "ConsumeWebhookQueue": {
            "Sid": "ConsumeWebhookQueue",
            "Action": [
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ReceiveMessage",
            ],
            "Effect": "Allow",
            "Resource": with_webhook.arn(events.webhook_queue),
        },
        "ReadWebhookSecret": {
            "Sid": "ReadWebhookSecret",
            "Action": "secretsmanager:GetSecretValue",
            "Effect": "Allow",
            "Resource": with_webhook.ref(events.webhook_secret),
        },
        **own_logs_and_traces(with_webhook, events.webhook),
    }
    variables = resource(with_webhook, events.webhook.function)["Properties"]["Environment"]["Variables"]
    assert variables[EnvVar.WEBHOOK_URL] == WEBHOOK
    assert variables[EnvVar.WEBHOOK_SECRET] == with_webhook.ref(events.webhook_secret)
    # The secret's value is generated at deploy: never in the template.
    secret = resource(with_webhook, events.webhook_secret)["Properties"]
    assert "SecretString" not in secret
    assert "GenerateSecretString" in secret


def test_in_guest_mode_the_worker_reads_the_address_key_as_the_function_does(combos: Combos) -> None:
    guests = combos[("IAM", "guest", False)]
    stack = guests.stack
    assert stack.address_key is not None
    secret = guests.ref(stack.address_key.secret)
    worker = resource(guests, stack.settlement.worker.function)["Properties"]["Environment"]["Variables"]
    assert worker[EnvVar.ADDRESS_KEY_SECRET] == secret
    statements = policy_statements(guests, stack.settlement.worker.policy)
    assert statements["ReadTheAddressKey"]["Resource"] == secret
    assert statements["DecryptTheAddressKeyThroughSecretsManager"]["Resource"] == guests.arn(stack.address_key.key)
    # The forwarder only validates the same settings: the secret's name, and no permission to read it.
    forwarder = resource(guests, stack.events.forwarder.function)["Properties"]["Environment"]["Variables"]
    assert forwarder[EnvVar.ADDRESS_KEY_SECRET] == secret
    assert "ReadTheAddressKey" not in policy_statements(guests, stack.events.forwarder.policy)
    # Callers are the identity pool's identities: every background function's settings name it, as the API's do.
    for function in (stack.settlement.worker.function, stack.events.forwarder.function):
        variables = resource(guests, function)["Properties"]["Environment"]["Variables"]
        assert variables[EnvVar.IDENTITY_POOL_ID] == guests.ref(stack.identity_pool.pool)  # type: ignore[union-attr]


def test_each_background_handler_names_an_entry_module_of_the_asset(with_webhook: Synth) -> None:
    events = with_webhook.stack.events
    assert events.webhook is not None
    for background in (with_webhook.stack.settlement.worker, events.forwarder, events.webhook):
        handler = resource(with_webhook, background.function)["Properties"]["Handler"]
        module, _, name = handler.rpartition(".")
        source = LAMBDA_SRC.joinpath(*module.split(".")).with_suffix(".py").read_text()
        assert f"\n{name} = " in source, handler
