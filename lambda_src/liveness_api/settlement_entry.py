"""What Lambda imports for the settlement worker (infra.constructs.settlement): the settlement queue's consumer,
built once per container from the function's environment."""

import os

from liveness_api.settings import Settings
from liveness_api.workers import EventSettings, build_settlement_handler

lambda_handler = build_settlement_handler(Settings.from_environ(), EventSettings.from_environ(os.environ))

__all__ = ["lambda_handler"]
