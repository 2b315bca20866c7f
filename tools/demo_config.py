"""`python -m tools.demo_config`: the demo page's config.json for a DEPLOYED stack, from the stack's outputs.

Reads what `make deploy` wrote (`cdk deploy --outputs-file cdk-outputs.json`) or what
`aws cloudformation describe-stacks --stack-name <name>` prints, and writes web/dist/config.json (after `make web`):
the API's URL, the region, and the caller mode with its Cognito resources, from which the page decides how to sign
in and where its streaming credentials come from (web/src/access.ts):

    COGNITO + identity pool     sign in to the user pool; the ID token calls the API; the identity pool streams
    IAM + authenticated         sign in; the identity pool's credentials sign each call (SigV4) and stream
    IAM + guest                 no sign-in; the basic flow's guest credentials sign each call and stream

A stack that gives a browser no streaming credentials (plain IAM, or COGNITO without an identity pool) gets one
line saying which knob to deploy with, and no file. Makes no AWS call.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from infra.config.context import load_cdk_json_config

OUTPUTS_FILE: Final = Path("cdk-outputs.json")
CONFIG_FILE: Final = Path("web/dist/config.json")
# Output name -> the page's auth field, for the Cognito resources a mode has.
COGNITO_OUTPUTS: Final = {
    "UserPoolId": "userPoolId",
    "UserPoolClientId": "userPoolClientId",
    "IdentityPoolId": "identityPoolId",
    "GuestRoleArn": "guestRoleArn",
}


class DemoConfigError(ValueError):
    """What is wrong with the outputs, and how to fix it, in one line."""


def stack_outputs(document: Any, stack_name: str | None) -> dict[str, str]:
    """The outputs of one stack, from a `cdk deploy --outputs-file` file or a `describe-stacks` answer."""
    if isinstance(document, Mapping) and isinstance(document.get("Stacks"), list):
        stacks = {
            str(stack.get("StackName")): {
                str(output["OutputKey"]): str(output["OutputValue"]) for output in stack.get("Outputs") or ()
            }
            for stack in document["Stacks"]
        }
    elif isinstance(document, Mapping) and all(isinstance(value, Mapping) for value in document.values()):
        stacks = {str(name): {str(k): str(v) for k, v in values.items()} for name, values in document.items()}
    else:
        raise DemoConfigError(
            "the outputs are neither `cdk deploy --outputs-file` JSON nor `aws cloudformation describe-stacks` JSON"
        )
    if stack_name is not None and stack_name in stacks:
        return stacks[stack_name]
    if stack_name is None and len(stacks) == 1:
        return next(iter(stacks.values()))
    named = ", ".join(sorted(stacks)) or "none"
    wanted = f"no stack named {stack_name}" if stack_name else "more than one stack"
    raise DemoConfigError(f"{wanted} in the outputs (stacks: {named}); pick one with --stack NAME")


def demo_config(outputs: Mapping[str, str], troubleshooting_url: str | None = None) -> dict[str, Any]:
    """The page's settings for the stack whose outputs these are."""
    missing = [name for name in ("ApiUrl", "Region") if not outputs.get(name)]
    if missing:
        raise DemoConfigError(f"the outputs have no {' or '.join(missing)}: are they the Face Liveness API stack's?")
    authorization = outputs.get("Authorization")
    if authorization not in ("IAM", "COGNITO"):
        raise DemoConfigError(
            "the outputs do not say the stack's authorization (output Authorization, IAM or COGNITO): deploy this "
            "version once (make deploy), then run this again"
        )
    auth: dict[str, str] = {"authorization": authorization}
    auth |= {field: outputs[name] for name, field in COGNITO_OUTPUTS.items() if outputs.get(name)}
    if "identityPoolId" not in auth:
        raise DemoConfigError(
            f"authorization={authorization} without an identity pool gives a browser no streaming credentials: "
            "deploy with -c identityPool=authenticated (signed-in users) or, in IAM mode, -c identityPool=guest, "
            "and -c corsAllowedOrigins=<the page's origin>"
        )
    if "guestRoleArn" not in auth and not ("userPoolId" in auth and "userPoolClientId" in auth):
        raise DemoConfigError(
            "the identity pool has neither a guest role nor a user pool with an app client in the outputs: the page "
            "cannot sign anyone in (userPoolClientIds lists the imported pool's clients)"
        )
    config: dict[str, Any] = {"apiUrl": outputs["ApiUrl"], "region": outputs["Region"], "auth": auth}
    if troubleshooting_url:
        config["troubleshootingUrl"] = troubleshooting_url
    return config


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.demo_config", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--outputs",
        type=Path,
        default=OUTPUTS_FILE,
        help=f"cdk deploy --outputs-file JSON or describe-stacks JSON (default {OUTPUTS_FILE})",
    )
    parser.add_argument("--stack", help="the stack's name (default: cdk.json's stackName)")
    parser.add_argument("--write", type=Path, default=CONFIG_FILE, help=f"where to write (default {CONFIG_FILE})")
    parser.add_argument(
        "--troubleshooting-url", help="where your copy of docs/troubleshooting.md is (default: the build's copy)"
    )
    args = parser.parse_args(argv)
    try:
        document = json.loads(args.outputs.read_text())
    except FileNotFoundError:
        print(
            f"demo-config: no {args.outputs}: deploy first (make deploy writes it), or pass --outputs FILE with the "
            "JSON of `aws cloudformation describe-stacks --stack-name NAME`",
            file=sys.stderr,
        )
        return 2
    except json.JSONDecodeError as error:
        print(f"demo-config: {args.outputs} is not JSON ({error.msg}, line {error.lineno})", file=sys.stderr)
        return 2
    try:
        stack_name = args.stack
        if stack_name is None and isinstance(document, Mapping) and len(document.get("Stacks", document)) > 1:
            stack_name = load_cdk_json_config().stack_name
        config = demo_config(stack_outputs(document, stack_name), args.troubleshooting_url)
    except DemoConfigError as error:
        print(f"demo-config: {error}", file=sys.stderr)
        return 2
    if not args.write.parent.is_dir():
        print(f"demo-config: no folder {args.write.parent}: build the page first (make web)", file=sys.stderr)
        return 2
    args.write.write_text(json.dumps(config, indent=2) + "\n")
    mode = config["auth"]["authorization"] + (" with guests" if "guestRoleArn" in config["auth"] else "")
    print(f"demo-config: wrote {args.write} for {config['apiUrl']} ({mode}, {config['region']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
