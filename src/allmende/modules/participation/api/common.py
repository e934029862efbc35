"""What the routers share: documented error answers and media types."""

from __future__ import annotations

from enum import Enum
from typing import Any

PREFIX = "/api/participation"
TAGS: list[str | Enum] = ["participation"]
PROBLEM: dict[str, Any] = {
    "description": "Problem (RFC 9457)",
    "content": {"application/problem+json": {}},
}
#: Reads: the thing may not exist (or not be visible), the input may be malformed.
READ_ERRORS: dict[int | str, dict[str, Any]] = {403: PROBLEM, 404: PROBLEM, 422: PROBLEM}
#: Writes may also be refused by the phase (409), the rate limit (429) or the size (413).
ERRORS: dict[int | str, dict[str, Any]] = {
    400: PROBLEM,
    401: PROBLEM,
    403: PROBLEM,
    404: PROBLEM,
    409: PROBLEM,
    413: PROBLEM,
    415: PROBLEM,
    422: PROBLEM,
    429: PROBLEM,
}
