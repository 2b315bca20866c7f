"""The stack's configuration, in parts. Nothing here imports aws_cdk, so the local server and the tests read the
same settings without loading jsii.

A knob's path to the function, in one sentence: its default, bounds and meaning are written once, on its field in
a `knobs_*.py` group; a deployer overrides it in `cdk.json`'s context or with `cdk synth -c key=value`;
`load_config` (context.py) validates the context into `StackConfig` (knobs.py); the stack (infra/stack.py) maps
that onto each construct's props, and `function_environment` (environment.py) puts each knob the handler reads at
run time into the function's environment under its `EnvVar` name, where the handler's `Settings` reads it.

- `knobs.py`, `knobs_*.py`: the knobs by group, their bounds and descriptions (docs/configuration.md is generated
  from them by `python -m tools.config_doc`), and the checks across knobs, the caller mode among them.
- `capacity.py`: the route throttles and the quotas under them, the reserved concurrency, the clients' retry budgets.
- `platform.py`: AWS facts: regions, quotas, Lambda's and API Gateway's limits, CloudWatch Logs' retention values,
  WAF's bounds, the Powertools release and its layer.
- `environment.py`: the function's environment.
- `context.py`: reading `cdk.json`'s context, and `ConfigError`.
"""

from infra.config.capacity import QUOTA_HEADROOM, AwsClientLimits, Capacity, Throttle
from infra.config.context import (
    CDK_JSON,
    ConfigError,
    config_keys,
    load_cdk_json_config,
    load_config,
    load_context,
    unknown_context_keys,
)
from infra.config.environment import function_environment
from infra.config.knobs import KNOB_GROUPS, StackConfig
from infra.config.platform import (
    API_GATEWAY_TIMEOUT_SECONDS,
    FACE_LIVENESS_REGIONS,
    LAMBDA_PYTHON_VERSION,
    LOG_RETENTION_DAYS,
    POWERTOOLS_VERSION,
    powertools_layer_parameter,
)

__all__ = [
    "API_GATEWAY_TIMEOUT_SECONDS",
    "CDK_JSON",
    "FACE_LIVENESS_REGIONS",
    "KNOB_GROUPS",
    "LAMBDA_PYTHON_VERSION",
    "LOG_RETENTION_DAYS",
    "POWERTOOLS_VERSION",
    "QUOTA_HEADROOM",
    "AwsClientLimits",
    "Capacity",
    "ConfigError",
    "StackConfig",
    "Throttle",
    "config_keys",
    "function_environment",
    "load_cdk_json_config",
    "load_config",
    "load_context",
    "powertools_layer_parameter",
    "unknown_context_keys",
]
