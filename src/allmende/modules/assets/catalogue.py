"""Fixed vocabularies of the module: states, priorities, kinds, and the standard report
categories a municipality can adopt with one click. Labels are English source strings,
translated where they are shown (``N_`` only marks them for the catalogue)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

SCOPE = "assets"
#: Times are stored in UTC and shown (and entered in forms) in the region's time zone.
LOCAL_ZONE = ZoneInfo("Europe/Berlin")


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    return message


GEOMETRY_KINDS = {
    "point": ("Point", "MultiPoint"),
    "line": ("LineString", "MultiLineString"),
    "polygon": ("Polygon", "MultiPolygon"),
    "any": (),
}
OBJECT_STATUSES = {
    "active": N_("in use"),
    "closed": N_("closed for use"),
    "removed": N_("removed"),
}
#: The values of the built-in object types' choice attributes: stored as these keys, shown
#: translated (a type made by staff has its own values, shown as written).
CHOICE_VALUES = (
    N_("low"),
    N_("medium"),
    N_("high"),
    N_("all"),
    N_("sand"),
    N_("bark"),
    N_("gravel"),
    N_("grass"),
    N_("rubber"),
    N_("none"),
    N_("led"),
    N_("sodium"),
    N_("mercury"),
    N_("other"),
)
PLAN_KINDS = {
    "visual": N_("visual routine inspection"),
    "operational": N_("operational inspection"),
    "main": N_("annual main inspection"),
    "other": N_("inspection"),
}
ITEM_RESULTS = {"ok": N_("in order"), "defect": N_("defect"), "na": N_("not applicable")}
INSPECTION_RESULTS = {
    "ok": N_("no defects"),
    "defects": N_("defects found"),
    "closed": N_("closed for use"),
}
PRIORITIES = {"low": N_("low"), "medium": N_("medium"), "high": N_("high")}
DEFECT_STATUSES = {"open": N_("open"), "fixed": N_("fixed")}
WORK_ORDER_STATUSES = {
    "open": N_("open"),
    "in_progress": N_("in progress"),
    "done": N_("done"),
    "cancelled": N_("cancelled"),
}
ASSIGNEE_KINDS = {"internal": N_("internal (own staff)"), "external": N_("external contractor")}
BOOKING_STATUSES = {
    "requested": N_("requested"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "cancelled": N_("cancelled"),
}
HISTORY_KINDS = {
    "created": N_("created"),
    "updated": N_("changed"),
    "photo": N_("photo added"),
    "document": N_("document added"),
    "inspection": N_("inspection"),
    "defect": N_("defect"),
    "work_order": N_("work order"),
    "report": N_("report"),
    "booking": N_("booking"),
}

#: The workflow of a report; Open311 sees only open/closed plus these as status notes.
REPORT_STATES = {
    "received": N_("received"),
    "confirmed": N_("confirmed"),
    "in_progress": N_("in progress"),
    "fixed": N_("fixed"),
    "duplicate": N_("duplicate"),
    "not_responsible": N_("not our responsibility"),
}
OPEN_STATES = ("received", "confirmed", "in_progress")
CLOSED_STATES = ("fixed", "duplicate", "not_responsible")
#: Open311 status notes are written for citizens of a German municipality.
REPORT_STATES_DE = {
    "received": "Eingegangen",
    "confirmed": "Bestätigt",
    "in_progress": "In Bearbeitung",
    "fixed": "Erledigt",
    "duplicate": "Bereits gemeldet",
    "not_responsible": "Nicht zuständig",
}

#: The attribute every category that names object types offers (Open311 ``attribute[object_id]``).
OBJECT_ATTRIBUTE = "object_id"

#: Standard categories (German, as citizens read them), added per municipality on request.
DEFAULT_SERVICES: tuple[dict[str, Any], ...] = (
    {
        "code": "strassenschaden",
        "name": "Straßenschaden",
        "description": "Schlaglöcher, lose Platten, beschädigte Gehwege und Radwege.",
        "group_name": "Straße und Verkehr",
        "keywords": ["Schlagloch", "Gehweg", "Radweg"],
        "attributes": [],
        "object_types": [],
    },
    {
        "code": "strassenbeleuchtung",
        "name": "Defekte Straßenlaterne",
        "description": "Eine Laterne brennt nicht, flackert oder leuchtet am Tag.",
        "group_name": "Straße und Verkehr",
        "keywords": ["Laterne", "Licht"],
        "attributes": [
            {
                "code": "fault",
                "description": "Was ist defekt?",
                "datatype": "singlevaluelist",
                "required": True,
                "order": 1,
                "values": [
                    {"key": "dark", "name": "Brennt nicht"},
                    {"key": "flicker", "name": "Flackert"},
                    {"key": "day", "name": "Leuchtet tagsüber"},
                    {"key": "damaged", "name": "Mast beschädigt"},
                ],
            }
        ],
        "object_types": ["street_light"],
    },
    {
        "code": "spielplatz",
        "name": "Spielplatz",
        "description": "Beschädigte Spielgeräte, Verunreinigungen, Glasscherben.",
        "group_name": "Grün und Spiel",
        "keywords": ["Spielgerät", "Schaukel", "Scherben"],
        "attributes": [],
        "object_types": ["playground", "play_device"],
    },
    {
        "code": "baum",
        "name": "Baum und Grünfläche",
        "description": "Abgebrochene Äste, kranke Bäume, ungepflegte Grünflächen.",
        "group_name": "Grün und Spiel",
        "keywords": ["Baum", "Ast", "Grünfläche"],
        "attributes": [],
        "object_types": ["tree"],
    },
    {
        "code": "muell",
        "name": "Müll und illegale Ablagerung",
        "description": "Wilder Müll, überfüllte Papierkörbe.",
        "group_name": "Sauberkeit",
        "keywords": ["Müll", "Sperrmüll", "Papierkorb"],
        "attributes": [
            {
                "code": "waste_kind",
                "description": "Art des Abfalls",
                "datatype": "singlevaluelist",
                "required": False,
                "order": 1,
                "values": [
                    {"key": "household", "name": "Hausmüll"},
                    {"key": "bulky", "name": "Sperrmüll"},
                    {"key": "green", "name": "Grünschnitt"},
                    {"key": "hazardous", "name": "Sondermüll"},
                ],
            }
        ],
        "object_types": ["waste_bin"],
    },
    {
        "code": "sonstiges",
        "name": "Sonstiges",
        "description": "Alles, was in keine andere Kategorie passt.",
        "group_name": "Sonstiges",
        "keywords": [],
        "attributes": [],
        "object_types": [],
    },
)
