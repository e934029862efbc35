"""The JSON API under /api/participation, one file per resource; all join one router."""

from fastapi import APIRouter

from allmende.modules.participation.api import (
    contributions,
    me,
    moderation,
    plans,
    processes,
    surveys,
)
from allmende.modules.participation.api.common import PREFIX, TAGS

router = APIRouter(prefix=PREFIX, tags=TAGS)
for part in (processes, contributions, moderation, plans, surveys, me):
    router.routes.extend(part.router.routes)
