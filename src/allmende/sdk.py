"""The one facade a module imports: everything a municipality's own module may build on.

Modules import ``allmende.sdk`` and nothing else of Allmende. What is named here is the
module API: it changes only with a note in the changelog.
"""

from __future__ import annotations

from allmende.core import csvformat, datasets, features, open311
from allmende.core.digits import is_digits
from allmende.core.errors import (
    AllmendeError,
    BadRequest,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from allmende.core.events import Event, EventBus
from allmende.core.geo import (
    GEOJSON_MEDIA_TYPE,
    bbox_of,
    distance_m,
    geometry_from_geojson,
    geometry_to_geojson,
    parse_bbox,
    to_metric,
)
from allmende.core.messages import (
    Message,
    joined,
    localise,
    message_from_json,
    message_to_json,
)
from allmende.core.registry import CommandContext, JobSpec, ModuleSpec, NavItem
from allmende.core.timeutil import (
    EARLIEST,
    LATEST,
    as_utc,
    isoformat,
    parse_date,
    parse_datetime,
    parse_duration,
    parse_interval,
    parse_local_datetime,
    utcnow,
)
from allmende.delivery.events import StoredEvent, events_after, publish
from allmende.delivery.mail import receives_updates, send_mail
from allmende.delivery.notifications import notify_staff
from allmende.http import formatting, uploads
from allmende.http.auth import Caller
from allmende.http.context import AppContext, app_context
from allmende.http.csrf import check_request as check_csrf
from allmende.http.forms import form_strings, read_form, write_or_refuse
from allmende.http.jsonbody import json_loads
from allmende.http.links import absolute_url, base_url, local_path, login_redirect, safe_next
from allmende.http.paging import Page, page_count, page_of
from allmende.http.params import MAX_ID, RowId
from allmende.http.problems import ErrorFormats, problem_response
from allmende.http.ratelimit import RateLimit, client_address, rate_limit
from allmende.identity.demo import DemoContext
from allmende.identity.models import District, InMunicipality, Municipality, Role, User
from allmende.identity.permissions import (
    Action,
    can,
    readable_municipalities,
    require,
    sees,
    visible,
)
from allmende.identity.principal import ANONYMOUS, Principal, acting_for
from allmende.identity.service import list_municipalities, municipality_keys, municipality_names
from allmende.sensing import actuation, vocabulary
from allmende.sensing import read as sensing
from allmende.storage.base import (
    Base,
    HasCreatedAt,
    HasId,
    HasTimestamps,
    IdType,
    JSONType,
    UTCDateTime,
)
from allmende.storage.database import Database
from allmende.storage.events import emit
from allmende.storage.geometry import (
    Geometry,
    HasGeometry,
    create_spatial_indexes,
    geometry_columns,
    geometry_values,
    spatial_indexes,
)
from allmende.storage.scheduler import JobContext
from allmende.storage.spatial import in_bbox, intersects, predicate

__all__ = [
    "ANONYMOUS",
    "EARLIEST",
    "GEOJSON_MEDIA_TYPE",
    "LATEST",
    "MAX_ID",
    "Action",
    "AllmendeError",
    "AppContext",
    "BadRequest",
    "Base",
    "Caller",
    "CommandContext",
    "Conflict",
    "Database",
    "DemoContext",
    "District",
    "ErrorFormats",
    "Event",
    "EventBus",
    "FieldError",
    "Forbidden",
    "Geometry",
    "HasCreatedAt",
    "HasGeometry",
    "HasId",
    "HasTimestamps",
    "IdType",
    "InMunicipality",
    "JSONType",
    "JobContext",
    "JobSpec",
    "Message",
    "ModuleSpec",
    "Municipality",
    "NavItem",
    "NotFound",
    "Page",
    "PayloadTooLarge",
    "Principal",
    "RateLimit",
    "Role",
    "RowId",
    "StoredEvent",
    "UTCDateTime",
    "Unauthorized",
    "UnsupportedMediaType",
    "User",
    "ValidationFailed",
    "absolute_url",
    "acting_for",
    "actuation",
    "app_context",
    "as_utc",
    "base_url",
    "bbox_of",
    "can",
    "check_csrf",
    "client_address",
    "create_spatial_indexes",
    "csvformat",
    "datasets",
    "distance_m",
    "emit",
    "events_after",
    "features",
    "form_strings",
    "formatting",
    "geometry_columns",
    "geometry_from_geojson",
    "geometry_to_geojson",
    "geometry_values",
    "in_bbox",
    "intersects",
    "is_digits",
    "isoformat",
    "joined",
    "json_loads",
    "list_municipalities",
    "local_path",
    "localise",
    "login_redirect",
    "message_from_json",
    "message_to_json",
    "municipality_keys",
    "municipality_names",
    "notify_staff",
    "open311",
    "page_count",
    "page_of",
    "parse_bbox",
    "parse_date",
    "parse_datetime",
    "parse_duration",
    "parse_interval",
    "parse_local_datetime",
    "predicate",
    "problem_response",
    "publish",
    "rate_limit",
    "read_form",
    "readable_municipalities",
    "receives_updates",
    "require",
    "safe_next",
    "sees",
    "send_mail",
    "sensing",
    "spatial_indexes",
    "to_metric",
    "uploads",
    "utcnow",
    "visible",
    "vocabulary",
    "write_or_refuse",
]
