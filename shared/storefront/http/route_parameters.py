"""The parameters many route bodies take alike, as annotated types for their signatures: the request context,
the conditional headers, and the paging every list route has (``limit`` and ``offset`` or ``cursor``, ``order``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Header, Query

from storefront.application.queries import CURSOR_MAX, MAX_OFFSET
from storefront.http.context import RequestContext, request_context

CURSOR_HELP = (
    "meta.pagination.next_cursor of the previous page, for pages deeper than offset allows; keep sort, order "
    "and filters unchanged (another list's cursor is 422 VAL_002) and leave offset out."
)

Context = Annotated[RequestContext, Depends(request_context)]
IfMatch = Annotated[str | None, Header(alias="if-match")]
IfNoneMatch = Annotated[str | None, Header(alias="if-none-match")]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
Cursor = Annotated[str | None, Query(max_length=CURSOR_MAX, description=CURSOR_HELP)]
SortOrder = Literal["asc", "desc"]
