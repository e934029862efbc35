"""Parameter types shared by endpoints, bounded so no input reaches the database unchecked."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ID = 2**63 - 1

#: A row id in a path: a positive 64-bit integer (larger numbers are 422, never an overflow).
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="Integer id")]
