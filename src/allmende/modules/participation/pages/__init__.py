"""The HTML pages of participation. Every form works without JavaScript; maps and the map
picker are an enhancement over lists and an address field."""

from fastapi import APIRouter

from allmende.modules.participation.pages import (
    account,
    contributions,
    editor,
    plan_editor,
    processes,
    staff,
    survey_editor,
    surveys,
)

pages = APIRouter(include_in_schema=False)
for part in (processes, contributions, surveys, survey_editor, plan_editor, staff, editor, account):
    pages.routes.extend(part.pages.routes)
