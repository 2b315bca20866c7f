"""What Lambda imports for the webhook sender (infra.constructs.events, only with a webhook URL): the webhook
queue's consumer, built once per container from the function's environment."""

import os

from liveness_api.settings import Settings
from liveness_api.workers import EventSettings, build_webhook_handler

lambda_handler = build_webhook_handler(Settings.from_environ(), EventSettings.from_environ(os.environ))

__all__ = ["lambda_handler"]
