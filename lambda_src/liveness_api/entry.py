"""What Lambda imports (contract.LAMBDA_HANDLER): the handler, built once per container from the function's
environment (its settings, botocore's clients, the app), with the garbage collector paused.

Initialization builds about 130,000 objects that live as long as the container (modules, classes, botocore
service models, Pydantic validators) and almost no garbage, so the collections Python would run during the
imports walk only objects that can never be freed: a sizeable share of every cold start (docs/performance.md).
Pausing the collector for the import and then freezing what it built, the pattern `gc.freeze` is documented
for, also keeps those objects out of every later collection, so warm requests do not walk them either. Cycles
left over from init, if any, stay allocated for the container's life: a bounded, one-off cost.
"""

import gc
import random

gc.disable()
try:
    from liveness_api.dependencies import build_dependencies
    from liveness_api.handler import create_app, lambda_handler_for
    from liveness_api.settings import Settings

    lambda_handler = lambda_handler_for(create_app(build_dependencies(Settings.from_environ())))
finally:
    gc.freeze()
    gc.enable()

try:
    # Only Lambda's Python runtime has this module, and its hooks run only with SnapStart on.
    from snapshot_restore_py import register_after_restore  # type: ignore[import-not-found]
except ImportError:
    pass
else:
    # Every environment restored from one snapshot would otherwise draw the same `random` sequence, which
    # botocore uses for retry jitter: throttled copies would all retry at the same moments. Reseeded from
    # os.urandom after each restore.
    register_after_restore(random.seed)

__all__ = ["lambda_handler"]
