"""Run a function's real handler in this process, as the Lambda runtime would."""

from __future__ import annotations

import importlib
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from localdev.paths import use_lambda_paths

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class LambdaContext:
    """The context object handlers receive (the fields Powertools reads)."""

    function_name: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:eu-west-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


_handlers: dict[str, Handler] = {}
_lock = threading.Lock()


def load_handler(dotted: str) -> Handler:
    """The handler named like the template's Handler property (``products.get_product.handler``)."""
    with _lock:
        if dotted not in _handlers:
            use_lambda_paths()
            module_name, _, attribute = dotted.rpartition(".")
            module = importlib.import_module(module_name.replace("/", "."))
            _handlers[dotted] = getattr(module, attribute)
        return _handlers[dotted]


def invoke(dotted: str, function_name: str, event: dict[str, Any]) -> dict[str, Any]:
    """Call the handler with ``event`` and a fresh context; returns what the handler returned."""
    return load_handler(dotted)(event, LambdaContext(function_name))
