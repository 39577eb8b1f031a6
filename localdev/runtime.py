"""Run a function's real handler in this process, as the Lambda runtime would."""

from __future__ import annotations

import importlib
import os
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
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
# Settings a function reads from its own variables in template.yaml (lambda_entry's rate limits). In Lambda
# each function has its own process; locally they share one, so these are set while the function's module
# is imported and while it runs, unless this process's environment sets them for every function.
FUNCTION_SETTINGS = ("RATE_LIMITS", "RATE_LIMIT_FAIL_CLOSED")


def load_handler(dotted: str, environment: Mapping[str, str] | None = None) -> Handler:
    """The handler named like the template's Handler property (``products.get_product.handler``), its
    module imported under the function's own template ``environment`` (its FUNCTION_SETTINGS)."""
    with _lock:
        if dotted not in _handlers:
            use_lambda_paths()
            module_name, _, attribute = dotted.rpartition(".")
            with function_environment(environment):
                module = importlib.import_module(module_name.replace("/", "."))
            _handlers[dotted] = getattr(module, attribute)
        return _handlers[dotted]


@contextmanager
def function_environment(environment: Mapping[str, str] | None) -> Iterator[None]:
    """The function's FUNCTION_SETTINGS in os.environ for the block (those this process sets stay)."""
    overlay = {k: v for k, v in (environment or {}).items() if k in FUNCTION_SETTINGS and k not in os.environ}
    os.environ.update(overlay)
    try:
        yield
    finally:
        for name in overlay:
            os.environ.pop(name, None)


def invoke(
    dotted: str, function_name: str, event: dict[str, Any], environment: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Call the handler with ``event`` and a fresh context, under the function's own template ``environment``;
    returns what the handler returned."""
    handler = load_handler(dotted, environment)
    with function_environment(environment):
        return handler(event, LambdaContext(function_name))
