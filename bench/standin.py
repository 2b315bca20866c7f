"""A loopback HTTP stand-in for DynamoDB and Rekognition, served by the benchmark's parent process.

Cold-start children must not import moto: moto imports boto3 and botocore, which would hide their import cost
from both variants. So the children talk HTTP to this server instead (through botocore's service-specific
`AWS_ENDPOINT_URL_<SERVICE>` variables) and this process replays each JSON-protocol call on its own clients:
DynamoDB (and the S3 bucket the emulator checks) on moto, Rekognition on the Face Liveness emulator.
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
from botocore import xform_name
from botocore.exceptions import ClientError
from moto import mock_aws

from infra.config import StackConfig
from liveness_local.embedded_aws import LocalResources, provision
from liveness_local.emulator import MOTO_CONFIG, FaceLivenessEmulator

# X-Amz-Target prefix -> (content type of the protocol, client name)
_SERVICES = {
    "DynamoDB_20120810": ("application/x-amz-json-1.0", "dynamodb"),
    "RekognitionService": ("application/x-amz-json-1.1", "rekognition"),
}


def error_payload(error: ClientError) -> dict[str, Any]:
    """A JSON-protocol error body as the service sends it, with the item a failed condition returns
    (ReturnValuesOnConditionCheckFailure): the ledger's slot reservation retries from that item."""
    payload: dict[str, Any] = {"__type": error.response["Error"]["Code"]}
    payload["message"] = error.response["Error"].get("Message", "")
    if "Item" in error.response:
        payload["Item"] = error.response["Item"]
    return payload


class LoopbackStandIn:
    def __init__(self, config: StackConfig) -> None:
        self._mock = mock_aws(config=MOTO_CONFIG)
        self._mock.start()
        session = boto3.session.Session(region_name=config.region)
        self.resources: LocalResources = provision(config, session)
        rekognition = session.client("rekognition")
        FaceLivenessEmulator(session.client("s3"), region=config.region).attach(rekognition)
        self._clients = {"dynamodb": session.client("dynamodb"), "rekognition": rekognition}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, target: str, body: bytes) -> tuple[int, str, bytes]:
        prefix, _, operation = target.partition(".")
        content_type, client_name = _SERVICES[prefix]
        call = getattr(self._clients[client_name], xform_name(operation))
        try:
            with self._lock:  # moto's state is process-wide; one call at a time, as a cold start makes them
                result = call(**json.loads(body or b"{}"))
        except ClientError as error:
            status = error.response["ResponseMetadata"]["HTTPStatusCode"]
            return status, content_type, json.dumps(error_payload(error)).encode()
        result.pop("ResponseMetadata", None)
        return 200, content_type, json.dumps(result, default=str).encode()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as botocore's pool expects
            # Headers and body leave in separate writes; with Nagle's algorithm on, the body waits for the
            # client's delayed ACK (about 40 ms on Linux loopback), a stall no real AWS endpoint adds.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, content_type, payload = standin.answer(self.headers.get("X-Amz-Target", ""), body)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._mock.stop()
