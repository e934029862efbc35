"""Exports for the evaluation by staff: contributions and survey responses as CSV, XLSX
(openpyxl) or GeoJSON. They hold no names or e-mail addresses, only whether an account wrote.

Cells that a spreadsheet would run as a formula (starting with = + - @) are prefixed with an
apostrophe, so an exported contribution cannot attack the person who opens the file.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.participation.contributions import contribution_path
from allmende.modules.participation.models import Answer, Contribution, Response
from allmende.modules.participation.processes import moderated_process
from allmende.modules.participation.surveys import visible_survey
from allmende.sdk import GEOJSON_MEDIA_TYPE, Principal, csvformat, geometry_to_geojson, isoformat

Format = Literal["csv", "xlsx", "geojson"]
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": GEOJSON_MEDIA_TYPE,
}
CONTRIBUTION_COLUMNS = (
    "id",
    "created_at",
    "title",
    "text",
    "category",
    "status",
    "answer",
    "answered_at",
    "hidden",
    "hidden_reason",
    "supports",
    "comments",
    "place",
    "longitude",
    "latitude",
    "geometry_wkt",
    "from_account",
    "url",
)


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(csvformat.FORMULA_START):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    """A spreadsheet cell: safe, and without the control characters XLSX cannot hold."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = _safe(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _contribution_row(item: Contribution, base: str) -> dict[str, Any]:
    point = item.geom.representative_point() if item.geom is not None else None
    return {
        "id": item.id,
        "created_at": isoformat(item.created_at),
        "title": item.title,
        "text": item.text,
        "category": item.category or "",
        "status": item.status,
        "answer": item.answer or "",
        "answered_at": isoformat(item.answered_at) if item.answered_at else "",
        "hidden": item.hidden,
        "hidden_reason": item.hidden_reason or "",
        "supports": item.support_count,
        "comments": item.comment_count,
        "place": item.place,
        "longitude": round(point.x, 7) if point is not None else "",
        "latitude": round(point.y, 7) if point is not None else "",
        "geometry_wkt": item.geom.wkt if item.geom is not None else "",
        "from_account": item.author_user_id is not None,
        "url": f"{base}{contribution_path(item.id)}",
    }


def export_contributions(
    session: Session, *, principal: Principal, process_id: int, fmt: Format, base: str
) -> bytes:
    process = moderated_process(session, principal=principal, process_id=process_id)
    items = session.scalars(
        select(Contribution).where(Contribution.process_id == process.id).order_by(Contribution.id)
    ).all()
    rows = [_contribution_row(i, base) for i in items]
    if fmt == "geojson":
        features = []
        for item, row in zip(items, rows, strict=True):
            properties = {k: v for k, v in row.items() if k not in ("longitude", "latitude")}
            properties.pop("geometry_wkt")
            features.append(
                {
                    "type": "Feature",
                    "id": item.id,
                    "geometry": geometry_to_geojson(item.geom) if item.geom is not None else None,
                    "properties": properties,
                }
            )
        return orjson.dumps({"type": "FeatureCollection", "features": features})
    table = [[row[c] for c in CONTRIBUTION_COLUMNS] for row in rows]
    return _table(CONTRIBUTION_COLUMNS, table, fmt, sheet="Contributions")


def export_responses(
    session: Session, *, principal: Principal, survey_id: int, fmt: Format
) -> bytes:
    survey, process = visible_survey(session, principal=principal, survey_id=survey_id)
    moderated_process(session, principal=principal, process_id=process.id)
    questions = survey.questions
    responses = session.execute(
        select(Response.id, Response.created_at, Response.user_id)
        .where(Response.survey_id == survey.id)
        .order_by(Response.id)
    ).all()
    answers: dict[tuple[int, int], Answer] = {
        (a.response_id, a.question_id): a
        for a in session.scalars(
            select(Answer)
            .join(Response, Response.id == Answer.response_id)
            .where(Response.survey_id == survey.id)
        )
    }
    header = [
        "response",
        "created_at",
        "from_account",
        *(f"{q.position + 1}. {q.prompt}" for q in questions),
    ]
    table = [
        [
            rid,
            isoformat(created),
            user_id is not None,
            *(_answer_text(q.kind, q.options, answers.get((rid, q.id))) for q in questions),
        ]
        for rid, created, user_id in responses
    ]
    if fmt == "geojson":
        features = [
            {
                "type": "Feature",
                "id": f"{a.response_id}-{a.question_id}",
                "geometry": geometry_to_geojson(a.geom),
                "properties": {
                    "response": a.response_id,
                    "question": a.question_id,
                    "text": a.text,
                },
            }
            for a in answers.values()
            if a.geom is not None
        ]
        return orjson.dumps({"type": "FeatureCollection", "features": features})
    return _table(header, table, fmt, sheet="Responses")


def _answer_text(kind: str, options: Sequence[str], answer: Answer | None) -> str:
    if answer is None:
        return ""
    if kind in ("single", "multiple"):
        return "; ".join(options[i] for i in answer.choices or [] if i < len(options))
    if kind == "ranking":
        return " > ".join(options[i] for i in answer.choices or [] if i < len(options))
    if kind == "scale":
        return str(answer.number) if answer.number is not None else ""
    if kind == "location" and answer.geom is not None:
        point = answer.geom
        place = f"{round(point.y, 7)}, {round(point.x, 7)}"
        return f"{place} ({answer.text})" if answer.text else place
    return answer.text or ""


def _table(
    header: Sequence[str], rows: Iterable[Sequence[Any]], fmt: Format, *, sheet: str
) -> bytes:
    if fmt == "csv":  # for staff's spreadsheets: the German convention
        return csvformat.to_bytes(header, rows, "excel-de")
    from openpyxl import Workbook  # loaded on the first export, not at start-up

    workbook = Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = sheet
    worksheet.append([_cell(h) for h in header])
    for row in rows:
        worksheet.append([_cell(v) for v in row])
    worksheet.freeze_panes = "A2"
    buffer_bytes = io.BytesIO()
    workbook.save(buffer_bytes)
    return buffer_bytes.getvalue()
