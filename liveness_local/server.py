"""The local server: the real handler behind a local API Gateway, over HTTP, on moto and the Face Liveness emulator.

    python -m liveness_local [--port 3000] [--host 127.0.0.1] [-c KEY=VALUE ...]

(`-c localStreaming=lenient` lets a still face pass the streaming endpoint's oval: see liveness_local.stream_challenge.)

- `/sessions...`: through `LocalGateway` (the deployed routes, body limit and throttle) to the handler;
- `/_local/...`: the control routes of `liveness_local.control` (local only);
- `GET /openapi.json`: the document generated from the handler's routes.

A request may name its caller with `X-Local-Caller: <name>` (characters of an IAM role name); without it the
caller is `local-user`. The name becomes the identity the configured mode (`-c authorization=...`,
`-c identityPool=...`) produces: a role's ARN, an identity-pool identity id (a guest's in guest mode) or a user
pool's `sub`, the same for the same name. The handler's JSON logs and EMF metric lines go to stdout unchanged, as
in CloudWatch.
"""

from __future__ import annotations

import argparse
import errno
import re
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from infra.config import CDK_JSON, StackConfig, load_cdk_json_config, load_context
from infra.config.context import cdk_json_context
from liveness_api.problems import GATEWAY_ERRORS
from liveness_local.backend import LocalBackend
from liveness_local.control import LocalControl, is_control_path
from liveness_local.demo_site import DemoSite
from liveness_local.event_pipeline import EVENTS_PATH, LocalEventPipeline, events_banner, published_events_response
from liveness_local.events import CallerIdentity
from liveness_local.gateway import (
    REQUEST_TOO_LARGE,
    HttpRequest,
    HttpResponse,
    LocalGateway,
    problem_response,
)
from liveness_local.openapi import openapi_document, render
from liveness_local.outcomes import ScriptedOutcomes
from liveness_local.stream_challenge import StreamingProfile
from liveness_local.streaming import StreamingEndpoint

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_CALLER: Final = "local-user"
CALLER_HEADER: Final = "X-Local-Caller"
# API Gateway's hard payload limit: a body beyond it is not even read.
HARD_BODY_LIMIT: Final = 10 * 1024 * 1024
# The characters IAM allows in a role name.
_CALLER_NAME: Final = re.compile(r"^[\w+=,.@-]{1,64}$")
_INVALID_CALLER: Final = GATEWAY_ERRORS["ACCESS_DENIED"]
_LISTENING: Final = "Face Liveness API (local) listening on"

_backend: LocalBackend | None = None
_backend_lock = threading.Lock()


def shared_backend(config: StackConfig | None = None) -> LocalBackend:
    """One `LocalBackend` per process: moto keeps one state per process, which a second backend would provision
    again and reset. Every server in the process shares it."""
    global _backend
    with _backend_lock:
        if _backend is None:
            _backend = LocalBackend(config or load_cdk_json_config())
        return _backend


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], backend: LocalBackend, gateway: LocalGateway) -> None:
        super().__init__(address, _RequestHandler)
        self.backend = backend
        self.gateway = gateway
        # Shared with the streaming endpoint (`main` starts it): the outcome each streamed session ends with.
        self.outcomes = ScriptedOutcomes()
        self.control = LocalControl(backend.emulator, self.outcomes, s3=backend.s3, faults=backend.faults)
        self.streaming: StreamingEndpoint | None = None
        # Settlement and events (`main` starts them): served at EVENTS_PATH.
        self.events: LocalEventPipeline | None = None
        self.demo = DemoSite()
        self._openapi: bytes | None = None
        # The twin's bucket CORS rule: the demo page, served here, uploads the ID photo to the twin's S3 (another
        # origin, as S3 is), and so may the web apps the stack allows.
        _, port = self.server_address[:2]
        demo_origins = (f"http://127.0.0.1:{port}", f"http://localhost:{port}", self.base_url)
        backend.uploads.post_object.allow_origins((*demo_origins, *backend.config.cors_allowed_origins))

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host if isinstance(host, str) else host.decode()}:{port}"

    def openapi_bytes(self) -> bytes:
        if self._openapi is None:
            app = self.backend.function.app
            self._openapi = render(openapi_document(app, self.backend.config.authorization)).encode()
        return self._openapi

    def demo_settings(self) -> dict[str, Any]:
        """The demo page's config.json, but for the API's URL (the origin the browser used)."""
        return {
            "region": self.backend.config.region,
            "streamingEndpoint": self.streaming.url if self.streaming is not None else None,
            "localControls": True,
        }

    def respond(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET" and request.target.split("?", 1)[0] == "/openapi.json":
            return HttpResponse(200, (("Content-Type", "application/json"),), self.openapi_bytes())
        if self.events is not None and request.target.split("?", 1)[0] == EVENTS_PATH:
            return published_events_response(request, self.events)
        if is_control_path(request.target):
            return self.control.handle(request)
        if self.demo.handles(request):
            return self.demo.respond(request, self.demo_settings())
        caller = request.header(CALLER_HEADER) or DEFAULT_CALLER
        if not _CALLER_NAME.match(caller):
            return problem_response(_INVALID_CALLER, f"{CALLER_HEADER} must be an IAM role name.", "local")
        # The request context the configured mode produces: a role, an identity-pool identity (a guest in guest
        # mode) or a user-pool token's claims, one per caller name.
        identity = CallerIdentity.for_mode(self.backend.caller_mode, caller, region=self.backend.config.region)
        return self.gateway.handle(request, identity)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LocalServer

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except _TooLarge:
            self.close_connection = True
            self._send(problem_response(REQUEST_TOO_LARGE, "The request body is too large.", "local"))
            return
        except ValueError:
            self.send_error(400, "Bad request body framing")
            return
        request = HttpRequest(self.command, self.path, tuple(self.headers.items()), body)
        self._send(self.server.respond(request))

    def __getattr__(self, name: str) -> Any:
        # Every method, TRACE and inventions included, reaches the gateway, which answers what API Gateway does.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        if length > HARD_BODY_LIMIT:
            raise _TooLarge()
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline().strip():  # trailers
                    pass
                return b"".join(chunks)
            total += size
            if total > HARD_BODY_LIMIT:
                raise _TooLarge()
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, response: HttpResponse) -> None:
        response.send(self)

    def log_message(self, format: str, *args: Any) -> None:
        # No access log: the console shows what CloudWatch would, the handler's own JSON lines.
        pass


class _TooLarge(Exception):
    pass


def build_server(
    config: StackConfig | None = None,
    *,
    host: str = DEFAULT_HOST,
    port: int | None = None,
    rate_limit: float | None = None,
    burst_limit: int | None = None,
) -> LocalServer:
    backend = shared_backend(config)
    gateway = LocalGateway(backend.invoke, backend.config, rate_limit=rate_limit, burst_limit=burst_limit)
    return LocalServer((host, backend.config.local_port if port is None else port), backend, gateway)


def serve_in_background(
    port: int = 0, *, rate_limit: float | None = None, burst_limit: int | None = None
) -> tuple[LocalServer, str]:
    """A server on 127.0.0.1 in a daemon thread, for tests: stop it with `server.shutdown()`."""
    server = build_server(port=port, rate_limit=rate_limit, burst_limit=burst_limit)
    threading.Thread(target=server.serve_forever, name="liveness-local", daemon=True).start()
    return server, server.base_url


def curl_example(base_url: str) -> str:
    return "\n".join(
        [
            "Try it (no signing locally; add -H 'X-Local-Caller: bob' to call as someone else):",
            f"  SID=$(curl -s -X POST {base_url}/sessions -H 'Content-Type: application/json' "
            "-d '{\"auditImagesLimit\": 2}' "
            "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"sessionId\"])')",
            f"  curl -s -X POST {base_url}/_local/sessions/$SID/complete -d '{{\"live\": true}}'",
            f"  curl -s {base_url}/sessions/$SID/results",
            f"  curl -s -X DELETE -o /dev/null -w '%{{http_code}}\\n' {base_url}/sessions/$SID",
        ]
    )


def config_with_context(overrides: list[str], port: int) -> StackConfig:
    """cdk.json's config with `KEY=VALUE` overrides, read as `cdk synth -c KEY=VALUE` reads them (strings). A browser
    mode without `corsAllowedOrigins` gets this server's own origin, so `-c authorization=COGNITO` alone works here
    as the README shows (a deployment must still name its web app's origins)."""
    context = cdk_json_context(CDK_JSON, overrides)
    if context.get("corsAllowedOrigins"):
        return load_context(context)
    config = load_context({**context, "corsAllowedOrigins": f"http://localhost:{port}"})
    return config if config.browser_mode else config.model_copy(update={"cors_allowed_origins": ()})


class StartupError(Exception):
    """The server cannot start; the message says why and how to fix it, in a line or two."""


def bind_problem(error: OSError, port: int, option: str) -> StartupError:
    if error.errno == errno.EADDRINUSE:
        return StartupError(
            f"port {port} is already in use (another `make local`?): stop what holds it (`lsof -i :{port}` shows "
            f'it), or pick another port with {option} N (make local ARGS="{option} N")'
        )
    if error.errno == errno.EACCES:
        return StartupError(f"port {port} needs privileges: pick one above 1023 with {option} N")
    return StartupError(f"cannot listen on port {port}: {error.strerror}; pick another with {option} N")


def streaming_banner(streaming: StreamingEndpoint) -> str:
    https = streaming.url.replace("wss://", "https://", 1)
    return (
        f"Streaming endpoint (StartFaceLivenessSession) on {streaming.url}  (self-signed: open {https}/ once "
        f"in your browser and accept the certificate; SPKI sha256 {streaming.certificate_spki})"
    )


def main(argv: list[str] | None = None) -> int:
    config = load_cdk_json_config()
    parser = argparse.ArgumentParser(prog="python -m liveness_local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"interface to listen on (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=config.local_port, help="0 picks a free port (default: localPort)")
    parser.add_argument(
        "--throttle-rate", type=float, help="override every method's throttle rate (requests per second, per method)"
    )
    parser.add_argument("--throttle-burst", type=int, help="override every method's throttle burst")
    parser.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a cdk.json knob as cdk -c does, e.g. -c authorization=COGNITO (X-Local-Caller names a user)",
    )
    parser.add_argument(
        "--streaming-port", type=int, help="port of the wss:// streaming endpoint (default: --port + 1; 0 picks one)"
    )
    parser.add_argument("--webhook-url", help="deliver every published event, signed, to this URL (docs/events.md)")
    args = parser.parse_args(argv)
    if args.context:
        config = config_with_context(args.context, args.port)

    try:
        server = build_server(
            config, host=args.host, port=args.port, rate_limit=args.throttle_rate, burst_limit=args.throttle_burst
        )
    except OSError as error:
        raise bind_problem(error, args.port, "--port") from None
    streaming_port = args.streaming_port if args.streaming_port is not None else (args.port + 1 if args.port else 0)
    try:
        server.streaming = StreamingEndpoint.for_backend(
            server.backend,
            server.outcomes,
            profile=StreamingProfile(config.local_streaming),
            host=args.host,
            port=streaming_port,
        ).start()
    except OSError as error:
        server.server_close()
        raise bind_problem(error, streaming_port, "--streaming-port") from None
    server.events = LocalEventPipeline(server.backend, webhook_url=args.webhook_url).start()
    # SIGTERM stops the server the way Ctrl-C does; SIGINT too when started with it ignored (`cmd &` in a script).
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.default_int_handler)
    print(f"{_LISTENING} {server.base_url}  (OpenAPI: {server.base_url}/openapi.json; Ctrl-C stops)", flush=True)
    print(f"Demo web app (the real Amplify detector): {server.base_url}/", flush=True)
    print(streaming_banner(server.streaming), flush=True)
    print(f"S3 POST Object for ID-photo uploads (presigned POSTs point here): {server.backend.uploads.url}", flush=True)
    print(curl_example(server.base_url), flush=True)
    print(events_banner(server.base_url, server.events), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopping", flush=True)
    finally:
        server.streaming.stop()
        server.events.stop()
        server.server_close()
        if server.backend is not None:
            server.backend.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
