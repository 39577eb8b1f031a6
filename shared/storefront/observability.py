"""Logger and Metrics: one instance each per container, configured by the POWERTOOLS_* variables.

There is deliberately no Powertools Tracer here: it imports aws_xray_sdk and with it botocore even
when tracing is disabled (measured here with -X importtime: this module took 583 ms to import with a
Tracer and 67 ms without). Functions run with
X-Ray active tracing (template Globals), which records every invocation; the trace id reaches the
envelope from the ``_X_AMZN_TRACE_ID`` variable that Lambda sets.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
# Without a namespace Powertools refuses to flush, and a refused flush would fail the request.
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Storefront")


def current_trace_id() -> str:
    """The X-Ray trace id of this invocation ("Root=..." of _X_AMZN_TRACE_ID), or "" when tracing is off."""
    header = os.environ.get("_X_AMZN_TRACE_ID", "")
    for part in header.split(";"):
        key, _, value = part.partition("=")
        if key == "Root":
            return value
    return ""
