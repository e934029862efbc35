"""Who may call each route, said in the words of ``identity/permissions.py``, and a request that
tries it against the resources of municipality A or B (tests/support/world.py).

``test_permission_matrix`` sends every request as every role and compares the answer with what
these rules give for that role's principal: ``OK`` (the handler did its work: not 401, 403 or
404, and no redirect to the sign-in page), ``LOGIN`` (303 to the sign-in page) or a status. A
route of the app without an entry here fails that test: a new endpoint forces a decision.

A request is made from the route's own path: ``{object_id}`` names the world's object of the
municipality under test, ``ids={"object_id": "internal_object"}`` another kind, ``"new:report"``
a fresh one for this route and ``"spent:report"`` a fresh one per request (for deletions).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from allmende.identity.permissions import Action, can
from allmende.identity.principal import Principal
from tests.support.region import PASSWORD
from tests.support.world import CENTRE, MUNICIPALITIES, World, challenge_token, png, point

OK = "allowed"
LOGIN = "login"  # 303 to the sign-in page
Outcome = str | int


@dataclass(frozen=True)
class Ctx:
    """What a rule may look at: the resource's municipality, and the region's."""

    municipality_id: int | None
    municipalities: tuple[int, ...]


Check = Callable[[Principal, Ctx], bool]
Expect = Callable[[Principal, Ctx], Outcome]


# --- who: the permission rules --------------------------------------------------------------------


def anyone(_p: Principal, _c: Ctx) -> bool:
    return True


def signed_in(p: Principal, _c: Ctx) -> bool:
    return p.is_authenticated


def account(p: Principal, _c: Ctx) -> bool:
    return p.kind == "user"


def admin(p: Principal, _c: Ctx) -> bool:
    return can(p, Action.ADMINISTER)


def edit(scope: str) -> Check:
    return lambda p, c: can(p, Action.EDIT, municipality_id=c.municipality_id, scope=scope)


def read(scope: str) -> Check:
    return lambda p, c: can(p, Action.READ_INTERNAL, municipality_id=c.municipality_id, scope=scope)


def contribute(scope: str | None = None) -> Check:
    return lambda p, c: can(p, Action.CONTRIBUTE, municipality_id=c.municipality_id, scope=scope)


def region(action: Action, scope: str) -> Check:
    """Region-wide (no municipality): admins and unbound keys of the scope."""
    return lambda p, _c: can(p, action, municipality_id=None, scope=scope)


def somewhere(check: Check) -> Check:
    """``check`` holds in some municipality of the region (pages and lists for staff)."""
    return lambda p, c: any(check(p, Ctx(m, c.municipalities)) for m in c.municipalities)


def either(*checks: Check) -> Check:
    return lambda p, c: any(check(p, c) for check in checks)


# --- how a refusal looks --------------------------------------------------------------------------


def public(_p: Principal, _c: Ctx) -> Outcome:
    return OK


def api(check: Check) -> Expect:
    """Refused: 401 without a credential, 403 with one (forms posted to pages too)."""
    return lambda p, c: OK if check(p, c) else (403 if p.is_authenticated else 401)


def hidden(check: Check) -> Expect:
    """Refused as if the resource did not exist: 404 (no existence oracle)."""
    return lambda p, c: OK if check(p, c) else 404


def page(check: Check) -> Expect:
    """A page: without a credential to the sign-in page, with one 403."""
    return lambda p, c: OK if check(p, c) else (403 if p.is_authenticated else LOGIN)


def for_people(check: Check = account) -> Expect:
    """A page for people with an account: others (keys too) to the sign-in page."""
    return lambda p, c: OK if check(p, c) else (403 if p.kind == "user" else LOGIN)


def same(status: int) -> Expect:
    """Everyone gets the same answer (nothing to find out about the caller's rights)."""
    return lambda _p, _c: status


def then(*expects: Expect) -> Expect:
    """The first refusal, in the order the handler checks."""

    def first(p: Principal, c: Ctx) -> Outcome:
        for expect in expects:
            outcome = expect(p, c)
            if outcome != OK:
                return outcome
        return OK

    return first


# --- requests -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    json: Any = None
    data: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    #: Requests sent first with the same credential (their answers do not count).
    before: tuple[Req, ...] = ()


_unique = itertools.count(1)


@dataclass
class Need:
    """Ids for one route and municipality: ``[kind]`` the shared world's, ``new(kind)`` a fresh
    one for this route (shared by its roles), ``spent(kind)`` a fresh one per request."""

    world: World
    m: str
    _new: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, kind: str) -> int:
        return self.world.id(self.m, kind)

    @property
    def key(self) -> str:
        return self.world.places[self.m].key

    @property
    def jurisdiction(self) -> dict[str, str]:
        return {"jurisdiction_id": f"{self.key}.example"}

    def new(self, kind: str) -> int:
        if kind not in self._new:
            self._new[kind] = self.world.fresh(self.m, kind)
        return self._new[kind]

    def spent(self, kind: str) -> int:
        return self.world.fresh(self.m, kind)

    def pick(self, choice: str) -> int:
        """``kind``, ``new:kind`` or ``spent:kind``."""
        how, _, kind = choice.rpartition(":")
        return {"": self.__getitem__, "new": self.new, "spent": self.spent}[how](kind)

    @staticmethod
    def unique() -> int:
        return next(_unique)


Value = Any | Callable[[Need], Any]
PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Case:
    expect: Expect
    method: str
    path: str
    ids: dict[str, str] = field(default_factory=dict)
    json: Value = None
    data: Value = None
    files: Value = None
    params: Value = None
    before: tuple[Case, ...] = ()
    #: Run for A and B (a resource of each); False: once, for the region.
    municipal: bool = True
    name: str = ""
    #: A new web session per request (the request ends it).
    fresh_login: bool = False

    def build(self, need: Need) -> Req:
        def value(v: Value) -> Any:
            return v(need) if callable(v) else v

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in ("key", "municipality"):
                return need.key
            if name == "municipality_id":
                return str(need.world.places[need.m].municipality_id)
            if name == "year":
                return "2025"
            choice = self.ids.get(name, name.removesuffix("_id"))
            return str(need.pick(choice))

        return Req(
            self.method,
            PARAM.sub(fill, self.path),
            json=value(self.json),
            data=value(self.data),
            files=value(self.files),
            params=value(self.params),
            before=tuple(b.build(need) for b in self.before),
        )


def soon(hours: int = 0) -> datetime:
    """A free hour some days ahead (a different one each time)."""
    start = datetime.now(UTC) + timedelta(days=10 + next(_unique) % 300, hours=hours)
    return start.replace(minute=0, second=0, microsecond=0)


def _csv(n: Need) -> dict[str, Any]:
    lon, lat = CENTRE[n.m]
    return {"file": ("b.csv", f"name,lon,lat\nImport {n.unique()},{lon},{lat}\n", "text/csv")}


def _photo(name: str) -> Callable[[Need], dict[str, Any]]:
    return lambda _n: {name: ("bild.png", png(), "image/png")}


def _booking(n: Need) -> dict[str, Any]:
    start = soon()
    return {
        "space_id": n["space"],
        "title": "Flohmarkt",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
    }


def _with_challenge(**values: Any) -> Callable[[Need], dict[str, Any]]:
    return lambda _n: {**values, "challenge": challenge_token()}


def _at(n: Need) -> dict[str, str]:
    lon, lat = CENTRE[n.m]
    return {"lon": str(lon), "lat": str(lat)}


def _other(n: Need) -> str:
    """The key of the other municipality (a report forwarded there)."""
    return MUNICIPALITIES["b" if n.m == "a" else "a"]


# --- the table ------------------------------------------------------------------------------------

ASSETS, PARTICIPATION, NOTICES, STA, OPEN311 = (
    "assets",
    "participation",
    "notices",
    "sensorthings",
    "open311",
)
#: Refusals of staff pages and lists: staff of some municipality may see them.
STAFF_PAGE = page(somewhere(read(ASSETS)))
STAFF_LIST = api(somewhere(read(ASSETS)))
EDITS_ASSETS = api(edit(ASSETS))
SEES_ASSETS = hidden(read(ASSETS))
MODERATES = api(edit(PARTICIPATION))
SEES_PROCESS = hidden(read(PARTICIPATION))
#: Taking part: anonymous callers with the challenge, people, and keys of the scope.
PARTICIPATES = api(either(lambda p, c: not p.is_authenticated, contribute(PARTICIPATION)))


def open311_submitter(p: Principal, c: Ctx) -> Outcome:
    """GeoReport v2: submitting needs an API key of the scope; 403 without one."""
    return OK if p.kind == "api_key" and contribute(OPEN311)(p, c) else 403


RULES: dict[str, list[Case]] = {}


def route(expect: Expect, key: str, *, name: str = "", **kw: Any) -> None:
    """Add a case for the route "METHOD /path" (the request's path defaults to the route's)."""
    method, _, path = key.partition(" ")
    case = Case(expect, method, kw.pop("path", path), name=name, **kw)
    cases = RULES.setdefault(key, [])
    assert not any(c.name == name for c in cases), f"{key} {name} twice"
    cases.append(case)


def whole(expect: Expect, key: str, **kw: Any) -> None:
    """A route about the whole region: tried once."""
    route(expect, key, municipal=False, **kw)


def public_and_internal(key: str, internal: Expect, kind: str, **kw: Any) -> None:
    """A read of a public resource (everyone) and of an internal one (``internal``)."""
    param = PARAM.findall(key.partition(" ")[2])[-1]
    ids = kw.pop("ids", {})
    route(public, key, name="public", ids=ids, **kw)
    route(internal, key, name="internal", ids={**ids, param: kind}, **kw)


# The kernel: operations, identity, webhooks, notifications
for path in ("/openapi.json", "/healthz", "/readyz", "/api/municipalities", "/api/me"):
    whole(public, f"GET {path}")
whole(public, "GET /api/region/boundaries")
route(public, "GET /api/municipalities/{key}")
whole(api(region(Action.READ_INTERNAL, "metrics")), "GET /metrics")
whole(api(admin), "GET /api/users")
whole(api(admin), "GET /api/apikeys")
whole(api(admin), "POST /api/apikeys", json={"name": "Matrix", "scopes": ["open311"]})
route(api(admin), "DELETE /api/apikeys/{key_id}", ids={"key_id": "spent:api_key"})
MANAGES_WEBHOOKS = api(either(admin, somewhere(edit("webhooks"))))
WEBHOOK = then(MANAGES_WEBHOOKS, hidden(edit("webhooks")))
HOOK = {"url": "http://127.0.0.1:9/x", "events": ["*"]}
whole(MANAGES_WEBHOOKS, "GET /api/webhooks")
route(api(edit("webhooks")), "POST /api/webhooks", json=lambda n: {**HOOK, "municipality": n.key})
whole(api(admin), "POST /api/webhooks", name="region-wide", json=HOOK)
route(WEBHOOK, "GET /api/webhooks/{webhook_id}")
route(WEBHOOK, "PATCH /api/webhooks/{webhook_id}", json={"description": "geändert"})
route(WEBHOOK, "DELETE /api/webhooks/{webhook_id}", ids={"webhook_id": "spent:webhook"})
route(WEBHOOK, "GET /api/webhooks/{webhook_id}/deliveries")
READS_NOTIFICATIONS = api(either(admin, somewhere(read("notifications"))))
whole(READS_NOTIFICATIONS, "GET /api/notifications")
whole(READS_NOTIFICATIONS, "POST /api/notifications/read", json={"ids": None})
whole(READS_NOTIFICATIONS, "GET /notifications")
whole(READS_NOTIFICATIONS, "POST /notifications/read", data={})

# SensorThings
whole(public, "GET /v1.1")
for method in ("GET", "HEAD"):
    whole(public, f"{method} /v1.1/{{path}}", name="list", path="/v1.1/Things")
    route(public, f"{method} /v1.1/{{path}}", name="public", path="/v1.1/Things({thing_id})")
    route(hidden(read(STA)), f"{method} /v1.1/{{path}}", name="internal",
          path="/v1.1/Things({thing_id})", ids={"thing_id": "internal_thing"})  # fmt: skip
THING = {"name": "Matrix", "description": "Matrix"}
EDITS_THINGS = api(edit(STA))
route(EDITS_THINGS, "POST /v1.1/{path}", path="/v1.1/Things", json=THING,
      params=lambda n: {"municipality": n.key})  # fmt: skip
route(EDITS_THINGS, "PATCH /v1.1/{path}", path="/v1.1/Things({thing_id})",
      ids={"thing_id": "new:thing"}, json={"description": "neu"})  # fmt: skip
route(EDITS_THINGS, "PUT /v1.1/{path}", path="/v1.1/Things({thing_id})",
      ids={"thing_id": "new:thing"}, json=THING)  # fmt: skip
route(EDITS_THINGS, "DELETE /v1.1/{path}", path="/v1.1/Things({thing_id})",
      ids={"thing_id": "spent:thing"})  # fmt: skip

# Open311
for kind in ("json", "xml"):
    for prefix in ("/open311", "/open311/v2"):
        whole(public, f"GET {prefix}/discovery.{kind}")
    jurisdiction = lambda n: n.jurisdiction  # noqa: E731
    route(public, f"GET /open311/v2/services.{kind}", params=jurisdiction)
    route(public, f"GET /open311/v2/services/{{service_code}}.{kind}", params=jurisdiction,
          path=f"/open311/v2/services/sonstiges.{kind}")  # fmt: skip
    route(public, f"GET /open311/v2/requests.{kind}", params=jurisdiction)
    route(public, f"GET /open311/v2/requests/{{service_request_id}}.{kind}", params=jurisdiction,
          ids={"service_request_id": "report"})  # fmt: skip
    route(same(404), f"GET /open311/v2/tokens/{{token}}.{kind}", params=jurisdiction,
          path=f"/open311/v2/tokens/unbekannt.{kind}")  # fmt: skip
    route(open311_submitter, f"POST /open311/v2/requests.{kind}", data=lambda n: {
        **n.jurisdiction, "service_code": "sonstiges", "description": "Laterne aus",
        "lat": str(CENTRE[n.m][1]), "long": str(CENTRE[n.m][0])})  # fmt: skip

# OGC API – Features: open data, the same for everyone
for path in ("/ogcapi", "/ogcapi/", "/ogcapi/conformance", "/ogcapi/api", "/ogcapi/collections"):
    whole(public, f"GET {path}")
whole(public, "GET /ogcapi/collections/{collection_id}", path="/ogcapi/collections/assets-bench")
whole(public, "GET /ogcapi/collections/{collection_id}/items",
      path="/ogcapi/collections/assets-bench/items")  # fmt: skip
public_and_internal("GET /ogcapi/collections/{collection_id}/items/{feature_id}", same(404),
                    "internal_object", path="/ogcapi/collections/assets-bench/items/{feature_id}",
                    ids={"feature_id": "object"})  # fmt: skip

# Assets: the register
whole(public, "GET /api/assets/types")
route(public, "GET /api/assets/types/{type_id}")
route(EDITS_ASSETS, "POST /api/assets/types",
      json=lambda n: {"municipality": n.key, "key": f"m_{n.unique()}", "name": "M"})  # fmt: skip
route(EDITS_ASSETS, "PATCH /api/assets/types/{type_id}", json={"description": "geändert"})
whole(public, "GET /api/assets/objects")
public_and_internal("GET /api/assets/objects/{object_id}", SEES_ASSETS, "internal_object")
route(EDITS_ASSETS, "POST /api/assets/objects", json=lambda n: {
    "municipality": n.key, "type": "bench", "name": "Neu", "geometry": point(n.m, 0.002),
})  # fmt: skip
route(EDITS_ASSETS, "PATCH /api/assets/objects/{object_id}", name="public", json={"notes": "x"})
route(then(SEES_ASSETS, EDITS_ASSETS), "PATCH /api/assets/objects/{object_id}", name="internal",
      ids={"object_id": "internal_object"}, json={"notes": "x"})  # fmt: skip
route(SEES_ASSETS, "GET /api/assets/objects/{object_id}/history")
route(EDITS_ASSETS, "POST /api/assets/objects/{object_id}/photos", files=_photo("photo"))
route(EDITS_ASSETS, "POST /api/assets/objects/{object_id}/documents",
      files={"document": ("plan.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})  # fmt: skip
route(public, "GET /api/assets/objects/{object_id}/files")
route(SEES_ASSETS, "GET /api/assets/files/{file_id}")
route(EDITS_ASSETS, "POST /api/assets/import", files=_csv,
      data=lambda n: {"municipality": n.key, "type": "bench", "dry_run": "true"})  # fmt: skip
whole(public, "GET /api/assets/export.geojson")
whole(public, "GET /api/assets/export.csv")
whole(public, "GET /api/assets/services")
route(EDITS_ASSETS, "POST /api/assets/services",
      json=lambda n: {"municipality": n.key, "code": f"m-{n.unique()}", "name": "M"})  # fmt: skip
route(EDITS_ASSETS, "POST /api/assets/default-services", params=lambda n: {"municipality": n.key})
route(EDITS_ASSETS, "PATCH /api/assets/services/{service_id}", json={"description": "x"})

# Assets: reports, bookings, adoption
whole(public, "GET /api/assets/reports")
route(public, "GET /api/assets/reports/{report_id}")
route(EDITS_ASSETS, "PATCH /api/assets/reports/{report_id}", ids={"report_id": "new:report"},
      json={"note": "Wird erledigt"})  # fmt: skip
route(EDITS_ASSETS, "POST /api/assets/reports/{report_id}/work-order",
      ids={"report_id": "spent:report"}, json={})  # fmt: skip
whole(public, "GET /api/assets/places", params={"q": "Bank"})
route(EDITS_ASSETS, "POST /api/assets/reports/{report_id}/forward",
      ids={"report_id": "spent:report"},
      json=lambda n: {"municipality": _other(n), "note": "zuständig"})  # fmt: skip
whole(public, "GET /api/assets/exports/reports.{fmt}", path="/api/assets/exports/reports.csv")
whole(STAFF_LIST, "GET /api/assets/exports/work-orders.{fmt}",
      path="/api/assets/exports/work-orders.csv")  # fmt: skip
whole(public, "GET /api/assets/spaces")
whole(public, "GET /api/assets/bookings")
route(SEES_ASSETS, "GET /api/assets/bookings/{booking_id}")
# People ask for a booking; a key books for the municipality it may edit.
route(api(either(account, edit(ASSETS))), "POST /api/assets/bookings", json=_booking)
route(then(SEES_ASSETS, EDITS_ASSETS), "POST /api/assets/bookings/{booking_id}/decision",
      ids={"booking_id": "new:booking"}, json={"decision": "reject"})  # fmt: skip
route(public, "GET /api/assets/objects/{object_id}/activity", ids={"object_id": "tree"})
whole(api(account), "GET /api/assets/me/adoptions")
ADOPT = Case(public, "POST", "/api/assets/objects/{object_id}/adoption", ids={"object_id": "tree"})
route(api(account), "POST /api/assets/objects/{object_id}/adoption", ids={"object_id": "tree"})
route(api(account), "DELETE /api/assets/objects/{object_id}/adoption", ids={"object_id": "tree"},
      before=(ADOPT,))  # fmt: skip
route(api(account), "POST /api/assets/objects/{object_id}/activities", ids={"object_id": "tree"},
      json={"amount": 20}, before=(ADOPT,))  # fmt: skip

# Assets: maintenance
whole(public, "GET /api/assets/plans")
route(EDITS_ASSETS, "POST /api/assets/plans", json=lambda n: {
    "municipality": n.key, "type": "bench", "kind": "visual", "name": f"Plan {n.unique()}",
    "interval_days": 30, "checklist": [{"code": "a", "label": "A"}]})  # fmt: skip
whole(STAFF_LIST, "GET /api/assets/inspections/due")
route(EDITS_ASSETS, "POST /api/assets/objects/{object_id}/inspections", json={"kind": "visual"})
route(SEES_ASSETS, "GET /api/assets/objects/{object_id}/inspections")
route(SEES_ASSETS, "GET /api/assets/inspections/{inspection_id}")
route(then(SEES_ASSETS, EDITS_ASSETS), "POST /api/assets/inspections/{inspection_id}/photos",
      files=_photo("photo"))  # fmt: skip
whole(STAFF_LIST, "GET /api/assets/defects")
route(then(SEES_ASSETS, EDITS_ASSETS), "PATCH /api/assets/defects/{defect_id}",
      json={"priority": "high"})  # fmt: skip
whole(STAFF_LIST, "GET /api/assets/work-orders")
route(SEES_ASSETS, "GET /api/assets/work-orders/{order_id}", ids={"order_id": "work_order"})
# Staff of another municipality get the 422 of a missing object (no existence oracle).
route(STAFF_LIST, "POST /api/assets/work-orders",
      json=lambda n: {"object_id": n["object"], "title": "Streichen"})  # fmt: skip
route(then(SEES_ASSETS, EDITS_ASSETS), "PATCH /api/assets/work-orders/{order_id}",
      ids={"order_id": "work_order"}, json={"description": "x"})  # fmt: skip

# Assets: pages (forms answer refusals like the API: 401 without a credential, else 403)
whole(public, "GET /assets")
whole(public, "GET /assets/map.geojson")
public_and_internal("GET /assets/{object_id}", SEES_ASSETS, "internal_object")
public_and_internal("GET /assets/{object_id}/map.geojson", SEES_ASSETS, "internal_object")
route(page(somewhere(edit(ASSETS))), "GET /assets/new/object",
      params=lambda n: {"municipality": n.key})  # fmt: skip
route(EDITS_ASSETS, "POST /assets/new/object",
      params=lambda n: {"municipality": n.key, "type": "bench"},
      data=lambda n: {"name": "Neu", **_at(n)})  # fmt: skip
route(then(page(signed_in), EDITS_ASSETS), "GET /assets/{object_id}/edit")
route(EDITS_ASSETS, "POST /assets/{object_id}/edit", ids={"object_id": "new:object"},
      data={"name": "Bank", "public": "on"})  # fmt: skip
route(EDITS_ASSETS, "POST /assets/{object_id}/files", files=_photo("file"), data={"kind": "photo"})
whole(page(somewhere(edit(ASSETS))), "GET /assets/import/objects")
route(EDITS_ASSETS, "POST /assets/import/objects", files=_csv,
      data=lambda n: {"municipality": n.key, "type": "bench", "dry_run": "on"})  # fmt: skip
ADOPT_PAGE = Case(public, "POST", "/assets/{object_id}/adopt", ids={"object_id": "tree"}, data={})
route(for_people(), "POST /assets/{object_id}/adopt", ids={"object_id": "tree"}, data={})
route(for_people(), "POST /assets/{object_id}/release", ids={"object_id": "tree"}, data={},
      before=(ADOPT_PAGE,))  # fmt: skip
route(for_people(), "POST /assets/{object_id}/water", ids={"object_id": "tree"},
      data={"amount": "20"}, before=(ADOPT_PAGE,))  # fmt: skip
whole(for_people(), "GET /my/adoptions")
whole(public, "GET /reports/new")
route(public, "POST /reports/new",
      data=lambda n: {"service": str(n["service"]), "description": "aus", **_at(n)})  # fmt: skip
whole(public, "GET /reports")
whole(public, "GET /reports/map.geojson")
route(public, "GET /reports/{report_id}")
whole(public, "GET /spaces")
route(for_people(), "GET /spaces/{space_id}/book")
route(for_people(), "POST /spaces/{space_id}/book", data=lambda n: {
    "title": "Flohmarkt", "starts_at": soon().strftime("%Y-%m-%dT%H:%M"),
    "ends_at": soon(hours=2).strftime("%Y-%m-%dT%H:%M")})  # fmt: skip
whole(STAFF_PAGE, "GET /maintenance")
route(then(STAFF_PAGE, EDITS_ASSETS), "GET /assets/{object_id}/inspect")
route(then(STAFF_LIST, EDITS_ASSETS), "POST /assets/{object_id}/inspect", data={"kind": "visual"})
whole(STAFF_PAGE, "GET /maintenance/work-orders")
route(then(STAFF_PAGE, EDITS_ASSETS), "GET /maintenance/work-orders/new",
      params=lambda n: {"object": n["object"]})  # fmt: skip
route(STAFF_LIST, "POST /maintenance/work-orders/new",  # a foreign object: as if missing
      params=lambda n: {"object": n["object"]}, data={"title": "Streichen"})  # fmt: skip
route(then(STAFF_PAGE, SEES_ASSETS), "GET /maintenance/work-orders/{order_id}",
      ids={"order_id": "work_order"})  # fmt: skip
route(then(SEES_ASSETS, EDITS_ASSETS), "POST /maintenance/work-orders/{order_id}",
      ids={"order_id": "work_order"}, data={"title": "Streichen"})  # fmt: skip
whole(STAFF_PAGE, "GET /maintenance/reports")
whole(STAFF_PAGE, "GET /maintenance/reports/map.geojson")
route(then(STAFF_PAGE, api(read(ASSETS))), "GET /maintenance/reports/{report_id}")
route(then(STAFF_LIST, EDITS_ASSETS), "POST /maintenance/reports/{report_id}",
      ids={"report_id": "new:report"}, data={"note": "Wird erledigt"})  # fmt: skip
route(then(STAFF_LIST, EDITS_ASSETS), "POST /maintenance/reports/{report_id}/work-order",
      ids={"report_id": "spent:report"}, data={})  # fmt: skip
route(then(STAFF_LIST, EDITS_ASSETS), "POST /maintenance/reports/{report_id}/forward",
      ids={"report_id": "spent:report"},
      data=lambda n: {"municipality": _other(n), "forward_note": "zuständig"})  # fmt: skip
route(then(STAFF_PAGE, api(read(ASSETS))), "GET /maintenance/reports/{report_id}/map.geojson")
route(then(STAFF_PAGE, SEES_ASSETS), "GET /maintenance/work-orders/{order_id}/map.geojson",
      ids={"order_id": "work_order"})  # fmt: skip
whole(STAFF_PAGE, "GET /maintenance/bookings")
route(then(SEES_ASSETS, EDITS_ASSETS), "POST /maintenance/bookings/{booking_id}",
      ids={"booking_id": "new:booking"}, data={"decision": "reject"})  # fmt: skip
whole(STAFF_PAGE, "GET /maintenance/categories")
route(then(STAFF_LIST, EDITS_ASSETS), "POST /maintenance/categories",
      data=lambda n: {"municipality": n.key})  # fmt: skip
whole(STAFF_PAGE, "GET /maintenance/categories/new")
route(then(STAFF_LIST, EDITS_ASSETS), "POST /maintenance/categories/new",
      data=lambda n: {"municipality": n.key, "code": f"matrix-{n.unique()}",
                      "name": "Matrix"})  # fmt: skip
route(then(STAFF_PAGE, EDITS_ASSETS), "GET /maintenance/categories/{service_id}")
route(then(STAFF_LIST, EDITS_ASSETS), "POST /maintenance/categories/{service_id}",
      ids={"service_id": "new:service"}, data={"name": "Matrix", "active": "on"})  # fmt: skip
route(then(STAFF_LIST, EDITS_ASSETS), "POST /maintenance/categories/{service_id}/active",
      ids={"service_id": "new:service"}, data={"active": "on"})  # fmt: skip
whole(STAFF_PAGE, "GET /maintenance/types")
whole(STAFF_PAGE, "GET /maintenance/types/new")
route(then(STAFF_LIST, EDITS_ASSETS), "POST /maintenance/types/new",
      data=lambda n: {"municipality": n.key, "key": f"matrix_{n.unique()}",
                      "name": "Matrix"})  # fmt: skip
route(then(STAFF_PAGE, EDITS_ASSETS), "GET /maintenance/types/{type_id}")
route(then(STAFF_LIST, EDITS_ASSETS), "POST /maintenance/types/{type_id}",
      data=lambda n: {"name": f"Poller {n.m}"})  # fmt: skip
whole(STAFF_PAGE, "GET /maintenance/plans")
whole(STAFF_PAGE, "GET /maintenance/plans/new")
route(then(STAFF_LIST, EDITS_ASSETS), "POST /maintenance/plans/new", data=lambda n: {
    "municipality": n.key, "type": "bench", "kind": "visual", "name": f"Plan {n.unique()}",
    "interval_days": "30", "checklist.0.label": "Sitz"})  # fmt: skip
route(then(STAFF_PAGE, EDITS_ASSETS), "GET /maintenance/plans/{plan_id}")
route(then(STAFF_LIST, EDITS_ASSETS), "POST /maintenance/plans/{plan_id}",
      ids={"plan_id": "new:plan"}, data={"kind": "visual", "name": "Sichtkontrolle",
      "interval_days": "30", "checklist.0.label": "Sitz"})  # fmt: skip
route(then(STAFF_LIST, EDITS_ASSETS), "POST /maintenance/plans/{plan_id}/delete",
      ids={"plan_id": "spent:plan"}, data={})  # fmt: skip

# Participation: JSON API
P = "/api/participation"
whole(public, f"GET {P}/processes")
route(MODERATES, f"POST {P}/processes", json=lambda n: {"municipality": n.key, "title": "Matrix"})
public_and_internal(f"GET {P}/processes/{{process_id}}", SEES_PROCESS, "internal_process")
route(MODERATES, f"PATCH {P}/processes/{{process_id}}", json={"summary": "Neu"})
route(MODERATES, f"DELETE {P}/processes/{{process_id}}", ids={"process_id": "spent:process"})
route(MODERATES, f"POST {P}/processes/{{process_id}}/events",
      json=lambda n: {"title": "Rundgang", "starts_at": soon().isoformat()})  # fmt: skip
route(MODERATES, f"DELETE {P}/events/{{event_id}}", ids={"event_id": "spent:event"})
route(
    MODERATES, f"POST {P}/processes/{{process_id}}/faq", json={"question": "Wo?", "answer": "Da."}
)
route(MODERATES, f"DELETE {P}/faq/{{faq_id}}", ids={"faq_id": "spent:faq"})
route(api(account), f"PUT {P}/processes/{{process_id}}/follow")
route(api(account), f"DELETE {P}/processes/{{process_id}}/follow")
whole(public, f"GET {P}/feed")
whole(public, f"GET {P}/challenge")
public_and_internal(f"GET {P}/processes/{{process_id}}/contributions", SEES_PROCESS,
                    "internal_process")  # fmt: skip
route(PARTICIPATES, f"POST {P}/processes/{{process_id}}/contributions",
      json=_with_challenge(title="Idee", text="Mehr Bäume"))  # fmt: skip
route(public, f"GET {P}/contributions/{{contribution_id}}")
route(public, f"GET {P}/contributions/{{contribution_id}}/comments")
route(PARTICIPATES, f"POST {P}/contributions/{{contribution_id}}/comments",
      json=_with_challenge(text="Gut"))  # fmt: skip
SUPPORT = Case(public, "POST", f"{P}/contributions/{{contribution_id}}/support",
               json=_with_challenge())  # fmt: skip
route(PARTICIPATES, f"POST {P}/contributions/{{contribution_id}}/support", json=_with_challenge())
route(PARTICIPATES, f"DELETE {P}/contributions/{{contribution_id}}/support", before=(SUPPORT,))
route(PARTICIPATES, f"POST {P}/reports",
      json=lambda n: {"contribution_id": n["contribution"], "reason": "spam",
                      "challenge": challenge_token()})  # fmt: skip
route(MODERATES, f"POST {P}/contributions/{{contribution_id}}/feedback",
      json={"status": "under_consideration"})  # fmt: skip
for act in ("hide", "restore"):
    route(MODERATES, f"POST {P}/contributions/{{contribution_id}}/{act}",
          ids={"contribution_id": "new:contribution"}, json={"reason": "Prüfung"})  # fmt: skip
    route(MODERATES, f"POST {P}/comments/{{comment_id}}/{act}", ids={"comment_id": "new:comment"},
          json={"reason": "Prüfung"})  # fmt: skip
route(MODERATES, f"GET {P}/processes/{{process_id}}/reports")
route(MODERATES, f"POST {P}/reports/{{report_id}}/resolve",
      ids={"report_id": "new:moderation_report"}, json={"resolution": "ok"})  # fmt: skip
route(MODERATES, f"GET {P}/processes/{{process_id}}/export")
route(MODERATES, f"GET {P}/surveys/{{survey_id}}/export")
route(MODERATES, f"POST {P}/processes/{{process_id}}/drafts", json={"title": "Variante"})
route(MODERATES, f"DELETE {P}/drafts/{{draft_id}}", ids={"draft_id": "spent:draft"})
route(PARTICIPATES, f"POST {P}/drafts/{{draft_id}}/ratings", json=_with_challenge(stars=4))
route(MODERATES, f"POST {P}/processes/{{process_id}}/documents", files=_photo("file"),
      data={"title": "Plan"})  # fmt: skip
route(MODERATES, f"DELETE {P}/documents/{{document_id}}", ids={"document_id": "spent:document"})
route(MODERATES, f"POST {P}/processes/{{process_id}}/layers", json={
    "title": "Flächen", "kind": "geojson",
    "data": {"type": "FeatureCollection", "features": []}})  # fmt: skip
route(public, f"GET {P}/layers/{{layer_id}}/data")
route(MODERATES, f"DELETE {P}/layers/{{layer_id}}", ids={"layer_id": "spent:layer"})
route(MODERATES, f"POST {P}/processes/{{process_id}}/surveys",
      json={"title": "Umfrage", "questions": [{"kind": "text", "prompt": "Was?"}]})  # fmt: skip
route(public, f"GET {P}/surveys/{{survey_id}}")
route(MODERATES, f"DELETE {P}/surveys/{{survey_id}}", ids={"survey_id": "spent:survey"})
route(PARTICIPATES, f"POST {P}/surveys/{{survey_id}}/responses", json=lambda n: {
    "answers": [{"question_id": n["question"], "text": "Bänke"}],
    "challenge": challenge_token()})  # fmt: skip
route(public, f"GET {P}/surveys/{{survey_id}}/results")
whole(api(account), f"GET {P}/me/notifications")
whole(api(account), f"POST {P}/me/notifications/read")
whole(api(account), f"GET {P}/me/data")
whole(api(account), f"DELETE {P}/me/data")

# Participation: pages
Q = "/participation"
whole(public, f"GET {Q}")
for suffix in ("", "/contributions"):
    public_and_internal(f"GET {Q}/{{process_id}}{suffix}", SEES_PROCESS, "internal_process")
route(public, f"GET {Q}/{{process_id}}/drafts")
route(public, f"GET {Q}/documents/{{document_id}}/file")
route(PARTICIPATES, f"POST {Q}/drafts/{{draft_id}}/rating", data=_with_challenge(stars="4"))
route(public, f"GET {Q}/{{process_id}}/contribute")
route(PARTICIPATES, f"POST {Q}/{{process_id}}/contribute",
      data=_with_challenge(title="Idee", text="Mehr Bäume"))  # fmt: skip
route(public, f"GET {Q}/contributions/{{contribution_id}}")
route(PARTICIPATES, f"POST {Q}/contributions/{{contribution_id}}/comments",
      data=_with_challenge(text="Gut"))  # fmt: skip
route(PARTICIPATES, f"POST {Q}/contributions/{{contribution_id}}/support", data=_with_challenge())
route(public, f"GET {Q}/report", params=lambda n: {"contribution": n["contribution"]})
route(PARTICIPATES, f"POST {Q}/report", data=lambda n: {
    "contribution_id": str(n["contribution"]), "reason": "spam",
    "challenge": challenge_token()})  # fmt: skip
route(public, f"GET {Q}/surveys/{{survey_id}}")
route(PARTICIPATES, f"POST {Q}/surveys/{{survey_id}}",
      data=lambda n: {f"q{n['question']}": "Bänke", "challenge": challenge_token()})  # fmt: skip
route(public, f"GET {Q}/surveys/{{survey_id}}/results")
route(then(page(signed_in), MODERATES), f"GET {Q}/{{process_id}}/cockpit")
route(
    MODERATES, f"POST {Q}/contributions/{{contribution_id}}/feedback", data={"status": "accepted"}
)
route(MODERATES, f"POST {Q}/contributions/{{contribution_id}}/visibility",
      ids={"contribution_id": "new:contribution"},
      data={"hide": "1", "reason": "Prüfung"})  # fmt: skip
route(MODERATES, f"POST {Q}/comments/{{comment_id}}/visibility", ids={"comment_id": "new:comment"},
      data={"hide": "1", "reason": "Prüfung"})  # fmt: skip
route(MODERATES, f"POST {Q}/reports/{{report_id}}/resolve",
      ids={"report_id": "new:moderation_report"}, data={"resolution": "ok"})  # fmt: skip
route(MODERATES, f"POST {Q}/{{process_id}}/documents", files=_photo("file"), data={"title": "Plan"})
whole(page(somewhere(edit(PARTICIPATION))), f"GET {Q}/new")
EDITOR = then(page(signed_in), MODERATES)  # the editor sends strangers to the sign-in page
route(EDITOR, f"POST {Q}/new", data=lambda n: {"municipality": n.key, "title": "Matrix"})
route(EDITOR, f"GET {Q}/{{process_id}}/edit")
route(EDITOR, f"POST {Q}/{{process_id}}/edit", ids={"process_id": "new:process"},
      data={"title": "Marktplatz", "public": "yes", "allow_anonymous": "yes"})  # fmt: skip
route(MODERATES, f"POST {Q}/{{process_id}}/faq", data={"question": "Wo?", "answer": "Da."})
route(MODERATES, f"POST {Q}/{{process_id}}/events",
      data=lambda n: {"title": "Rundgang", "starts_at": f"{soon():%Y-%m-%dT%H:%M}"})  # fmt: skip
route(MODERATES, f"POST {Q}/{{process_id}}/layers", data={"title": "Flächen"},
      files={"file": ("f.geojson", b'{"type":"FeatureCollection","features":[]}',
                      "application/geo+json")})  # fmt: skip
# Staff build surveys in the browser
route(EDITOR, f"GET {Q}/{{process_id}}/surveys/new")
route(EDITOR, f"POST {Q}/{{process_id}}/surveys/new", data={"title": "Umfrage"})
route(EDITOR, f"GET {Q}/surveys/{{survey_id}}/edit")
route(EDITOR, f"POST {Q}/surveys/{{survey_id}}/edit", data={"title": "Umfrage"})
route(EDITOR, f"POST {Q}/surveys/{{survey_id}}/state", data={"open": "yes"})
route(EDITOR, f"POST {Q}/surveys/{{survey_id}}/questions", data={"kind": "text", "prompt": "Wer?"})
route(EDITOR, f"GET {Q}/questions/{{question_id}}/edit")
route(EDITOR, f"POST {Q}/questions/{{question_id}}/edit", data={"kind": "text", "prompt": "Wie?"})
route(EDITOR, f"POST {Q}/questions/{{question_id}}/move", data={"to": "down"})
route(EDITOR, f"POST {Q}/questions/{{question_id}}/delete",
      ids={"question_id": "spent:fresh_question"}, data={})  # fmt: skip
# Staff place plan images by their corners and edit drafts in the browser
CORNERS = {"nw_lat": "49,46", "nw_lon": "8,62", "se_lat": "49,44", "se_lon": "8,66"}
route(EDITOR, f"GET {Q}/{{process_id}}/plans")
route(EDITOR, f"POST {Q}/{{process_id}}/plans", files=_photo("file"),
      data={"title": "Lageplan", **CORNERS})  # fmt: skip
route(EDITOR, f"POST {Q}/layers/{{layer_id}}/delete", ids={"layer_id": "spent:layer"}, data={})
route(EDITOR, f"POST {Q}/{{process_id}}/drafts", data={"draft.title": "Variante"})
route(EDITOR, f"GET {Q}/drafts/{{draft_id}}/edit")
route(EDITOR, f"POST {Q}/drafts/{{draft_id}}/edit", data={"draft.title": "Variante"})
route(EDITOR, f"POST {Q}/drafts/{{draft_id}}/delete", ids={"draft_id": "spent:draft"}, data={})
whole(for_people(), f"GET {Q}/me")
whole(for_people(), f"POST {Q}/me/read", data={})
whole(for_people(), f"GET {Q}/me/data")
whole(for_people(), f"POST {Q}/me/delete", data={})
route(for_people(), f"POST {Q}/{{process_id}}/follow", data={"action": "follow"})

# Sensors
for path in ("/api/sensors/things", "/sensors", "/sensors/map.geojson"):
    whole(public, f"GET {path}")
public_and_internal("GET /sensors/{thing_id}", hidden(read(STA)), "internal_thing")

# The example module (notices)
whole(public, "GET /api/notices")
whole(public, "GET /notices")
public_and_internal("GET /api/notices/{notice_id}", hidden(read(NOTICES)), "internal_notice")
EDITS_NOTICES = api(edit(NOTICES))
route(EDITS_NOTICES, "POST /api/notices", json=lambda n: {"municipality": n.key, "title": "Matrix"})
route(EDITS_NOTICES, "PATCH /api/notices/{notice_id}", json={"body": "geändert"})
route(EDITS_NOTICES, "DELETE /api/notices/{notice_id}", ids={"notice_id": "spent:notice"})

# Energy (zones come from the service only, not the API: an unknown one is tried)
ENERGY = "energy"
SEES_BUILDING = hidden(read(ENERGY))
SPAN = {"start": "2025-01-01T00:00:00Z", "end": "2025-02-01T00:00:00Z"}
whole(public, "GET /api/energy/buildings")
public_and_internal("GET /api/energy/buildings/{building_id}", SEES_BUILDING, "internal_building")
public_and_internal("GET /api/energy/buildings/{building_id}/meters", SEES_BUILDING,
                    "internal_building")  # fmt: skip
route(api(edit(ENERGY)), "POST /api/energy/buildings", json=lambda n: {
    "municipality": n.key, "name": f"Turnhalle {n.unique()}", "use": "school", "floor_area": 800,
    "heating_system": "gas", "lon": CENTRE[n.m][0], "lat": CENTRE[n.m][1]})  # fmt: skip
route(api(edit(ENERGY)), "POST /api/energy/buildings/{building_id}/meters",
      json={"name": "Strom", "carrier": "electricity"})  # fmt: skip
for what in ("consumption", "baseline"):
    public_and_internal(f"GET /api/energy/meters/{{meter_id}}/{what}", SEES_BUILDING,
                        "internal_meter", params=SPAN)  # fmt: skip
route(same(404), "GET /api/energy/zones/{zone_id}/plan", path="/api/energy/zones/999999/plan")
route(public, "GET /api/energy/report/{municipality}/{year}.csv")
whole(public, "GET /energy")
public_and_internal("GET /energy/buildings/{building_id}", SEES_BUILDING, "internal_building")
route(public, "GET /energy/report/{municipality}/{year}")
route(public, "GET /api/energy/report/{municipality}/{year}.pdf")
# The staff forms: strangers to the sign-in page; a building the caller may not see is not found
EDITS_ENERGY = page(edit(ENERGY))
FORM_BUILDING = {"name": "Turnhalle", "use": "school", "floor_area": "800", "heating_system": "gas",
                 "public": "on"}  # fmt: skip
FORM_ZONE = {"name": "Halle", "floor_area": "800", "volume": "2400", "window_area": "120",
             "opaque_area": "900", "u_window": "1,3", "u_opaque": "0.4", "air_changes": "0.6",
             "heat_capacity": "165000", "heating_kw": "80", "cooling_kw": "0"}  # fmt: skip
FORM_METER = {"name": "Strom", "carrier": "electricity", "reading": "counter",
              "nominal_minutes": "15"}  # fmt: skip
whole(page(somewhere(edit(ENERGY))), "GET /energy/buildings/new")
route(api(edit(ENERGY)), "POST /energy/buildings/new",
      data=lambda n: {**FORM_BUILDING, "municipality": n.key})  # fmt: skip
for suffix in ("edit", "zones/new", "meters/new"):
    route(EDITS_ENERGY, f"GET /energy/buildings/{{building_id}}/{suffix}", name="public")
    route(then(page(signed_in), SEES_BUILDING, EDITS_ENERGY),
          f"GET /energy/buildings/{{building_id}}/{suffix}", name="internal",
          ids={"building_id": "internal_building"})  # fmt: skip
route(api(edit(ENERGY)), "POST /energy/buildings/{building_id}/edit",
      data=lambda n: {**FORM_BUILDING, "municipality": n.key})  # fmt: skip
route(then(SEES_BUILDING, api(edit(ENERGY))), "POST /energy/buildings/{building_id}/edit",
      name="internal", ids={"building_id": "internal_building"},
      data=lambda n: {**FORM_BUILDING, "municipality": n.key})  # fmt: skip
route(api(edit(ENERGY)), "POST /energy/buildings/{building_id}/zones/new", data=FORM_ZONE)
route(api(edit(ENERGY)), "POST /energy/buildings/{building_id}/meters/new", data=FORM_METER)
route(EDITS_ENERGY, "GET /energy/meters/{meter_id}/edit")
route(api(edit(ENERGY)), "POST /energy/meters/{meter_id}/edit", data=FORM_METER)
UNKNOWN_ZONE = "/energy/zones/999999"
for suffix in ("edit", "control"):
    route(then(page(signed_in), same(404)), f"GET /energy/zones/{{zone_id}}/{suffix}",
          path=f"{UNKNOWN_ZONE}/{suffix}")  # fmt: skip
    route(same(404), f"POST /energy/zones/{{zone_id}}/{suffix}", path=f"{UNKNOWN_ZONE}/{suffix}",
          data={})  # fmt: skip
route(same(404), "POST /energy/zones/{zone_id}/calibrate", path=f"{UNKNOWN_ZONE}/calibrate",
      data={})  # fmt: skip
route(EDITS_ENERGY, "GET /energy/tariffs", params=lambda n: {"municipality": n.key})
FORM_TARIFF = {"carrier": "gas", "valid_from": "2025-01-01", "price": "0.125", "co2": "0.24"}
route(api(edit(ENERGY)), "POST /energy/tariffs", params=lambda n: {"municipality": n.key},
      data=FORM_TARIFF)  # fmt: skip

# Water (the world's trees, zones and meters are not in the water balance: its jobs add them
# from the register and the meters; an unknown one answers alike for everyone)
WATER = "water"
STAFF_OF_WATER = api(somewhere(read(WATER)))
whole(public, "GET /api/water/trees")
whole(public, "GET /api/water/map.geojson")
whole(public, "GET /api/water/zones")  # each sees the zones of the municipalities it may read
whole(api(signed_in), "GET /api/water/leaks")
for key in ("GET /api/water/trees/{object_id}", "GET /water/trees/{object_id}"):
    route(same(404), key, ids={"object_id": "tree"})
route(same(404), "POST /api/water/trees/{object_id}/waterings", ids={"object_id": "tree"},
      json={"litres": 80})  # fmt: skip
route(same(404), "PUT /api/water/trees/{object_id}/settings", ids={"object_id": "tree"}, json={})
route(same(404), "POST /water/trees/{object_id}/waterings", ids={"object_id": "tree"},
      data={"litres": "80"})  # fmt: skip
route(same(404), "POST /water/trees/{object_id}/pit", ids={"object_id": "tree"}, data={})
route(api(read(WATER)), "GET /api/water/crews/{municipality_id}")
route(api(edit(WATER)), "POST /api/water/zones", json=lambda n: {
    "municipality_id": n.world.places[n.m].municipality_id, "name": f"Rasen {n.unique()}",
    "kind": "lawn", "area_m2": 400, "coefficient": 0.8, "taw_mm": 60, "rate_mm_per_h": 10,
    "lon": CENTRE[n.m][0], "lat": CENTRE[n.m][1]})  # fmt: skip
route(same(404), "GET /api/water/zones/{zone_id}", path="/api/water/zones/999999")
route(same(404), "GET /api/water/meters/{meter_id}/days", path="/api/water/meters/999999/days")
whole(public, "GET /water")
whole(public, "GET /water/meters")
route(same(404), "GET /water/meters/{meter_id}", path="/water/meters/999999")
whole(STAFF_OF_WATER, "GET /water/crews")
for path in ("/water/probes", "/water/zones"):  # any signed-in caller: those it may read
    whole(api(signed_in), f"GET {path}")
route(same(404), "GET /water/zones/{zone_id}", path="/water/zones/999999")

# Heat (the world's Things carry an air temperature Datastream: they are weather stations; the
# world has no heat map, evaluation, warning, layer or switch: its jobs make them from the
# measurements, so an unknown one answers alike for everyone, after the staff check where the
# municipality's staff are asked first)
HEAT = "heat"
EDITS_HEAT = api(edit(HEAT))
UNKNOWN = "999999"
HEAT_MAP = "/heat/map/{key}"
whole(public, "GET /api/heat/stations")
route(
    public, "GET /api/heat/stations", name="municipality", params=lambda n: {"municipality": n.key}
)
whole(public, "GET /api/heat/warnings")
route(same(404), "GET /api/heat/warnings/{warning_id}", path=f"/api/heat/warnings/{UNKNOWN}")
for what in ("map", "evaluation"):
    route(same(404), f"GET /api/heat/municipalities/{{key}}/{what}")
for what in ("settings", "layers", "plan"):
    route(EDITS_HEAT, f"GET /api/heat/municipalities/{{key}}/{what}")
route(EDITS_HEAT, "PATCH /api/heat/municipalities/{key}/settings", json={"strong_utci": 32.0})
NOT_A_LAYER = {"file": ("layer.geojson", b"kein GeoJSON", "application/geo+json")}
route(EDITS_HEAT, "POST /api/heat/municipalities/{key}/layers", files=NOT_A_LAYER,
      data={"kind": "impervious"})  # fmt: skip
route(EDITS_HEAT, "POST /api/heat/municipalities/{key}/landcover")
DEVICE = {"name": "Brunnen", "device_kind": "fountain"}
route(EDITS_HEAT, "POST /api/heat/municipalities/{key}/plan",
      json=lambda n: {**DEVICE, "thing_id": n["thing"]})  # fmt: skip
H = "/api/heat/municipalities/{key}"
route(then(EDITS_HEAT, same(404)), f"POST {H}/switches/{{switch_id}}/resend",
      path=f"{H}/switches/{UNKNOWN}/resend")  # fmt: skip
whole(public, "GET /heat")
route(public, "GET /heat", name="municipality", params=lambda n: {"municipality": n.key})
route(public, "GET /heat/map/{key}/features.geojson")
for what in ("overlay.png", "map.tif", "map.nc"):
    route(same(404), f"GET /heat/map/{{key}}/{what}")
whole(public, "GET /heat/method")
public_and_internal("GET /heat/stations/{thing_id}", hidden(read(STA)), "internal_thing")
for path in ("/heat/warnings", "/heat/warnings.atom"):
    whole(public, f"GET {path}")
for suffix in ("", ".cap.xml"):
    route(same(404), f"GET /heat/warnings/{{warning_id}}{suffix}",
          path=f"/heat/warnings/{UNKNOWN}{suffix}")  # fmt: skip
whole(page(somewhere(edit(HEAT))), "GET /heat/staff")
route(page(edit(HEAT)), "GET /heat/staff", name="municipality",
      params=lambda n: {"municipality": n.key})  # fmt: skip
S = "/heat/staff/{key}"
route(EDITS_HEAT, f"POST {S}/settings", data={
    "strong_utci": "32", "night_min_ta": "20", "extreme_utci": "38", "area_share": "0.25",
    "afternoon_from": "12", "afternoon_to": "18", "night_from": "22", "night_to": "6",
    "cell_m": "10"})  # fmt: skip
route(EDITS_HEAT, f"POST {S}/landcover", data={})
route(EDITS_HEAT, f"POST {S}/layers", files=NOT_A_LAYER, data={"kind": "impervious"})
route(then(EDITS_HEAT, same(404)), f"POST {S}/layers/{{layer_id}}/remove",
      path=f"{S}/layers/{UNKNOWN}/remove", data={})  # fmt: skip
route(EDITS_HEAT, f"POST {S}/plan",
      data=lambda n: {**DEVICE, "thing_id": str(n["thing"])})  # fmt: skip
route(EDITS_HEAT, f"POST {S}/plan/{{entry_id}}/remove", ids={"entry_id": "spent:plan_entry"},
      data={})  # fmt: skip
route(then(EDITS_HEAT, same(404)), f"POST {S}/switches/{{switch_id}}/resend",
      path=f"{S}/switches/{UNKNOWN}/resend", data={})  # fmt: skip
route(EDITS_HEAT, f"POST {S}/evaluate", data={"days": "7"})  # no map: a 422 after the check

# The open-data catalogue: public data for everyone; a withdrawn dataset is found only by those
# who may edit it (others are told it does not exist), staff of its municipality change it
CATALOG = "catalog"
EDITS_CATALOG = api(edit(CATALOG))
WITHDRAWN = then(hidden(read(CATALOG)), EDITS_CATALOG)
DATASET = "/catalog/datasets/matrix-{dataset_id}"
for path in ("/catalog", "/catalog.ttl", "/catalog.rdf", "/catalog.jsonld"):
    whole(public, f"GET {path}")
route(public, "GET /catalog/datasets/{name}", name="public", path=DATASET)
route(same(404), "GET /catalog/datasets/{name}", name="internal", path=DATASET,
      ids={"dataset_id": "withdrawn_dataset"})  # fmt: skip
route(public, "GET /catalog/datasets/{dataset_id}/{file_name}", name="public",
      path="/catalog/datasets/assets-{key}-bench/data.csv")  # fmt: skip
route(same(404), "GET /catalog/datasets/{dataset_id}/{file_name}", name="internal",
      path=f"{DATASET}/data.csv", ids={"dataset_id": "withdrawn_dataset"})  # fmt: skip
STREAM = "GET /catalog/datastreams/{datastream_id}/{file_name}"
STREAM_CSV = "/catalog/datastreams/{datastream_id}/observations.csv"
route(public, STREAM, name="public", path=STREAM_CSV)
route(hidden(read(STA)), STREAM, name="internal", path=STREAM_CSV,
      ids={"datastream_id": "internal_datastream"})  # fmt: skip
whole(public, "GET /api/catalog/datasets")
whole(public, "GET /open-data")
LINK = {"title": "Plan", "url": "https://example.org/plan.pdf", "format": "PDF"}
route(EDITS_CATALOG, "POST /api/catalog/datasets", json=lambda n: {
    "municipality": n.key, "key": f"matrix-neu-{n.unique()}", "title": "Neu",
    "links": [LINK]})  # fmt: skip
route(EDITS_CATALOG, "POST /open-data/datasets", data=lambda n: {
    "municipality": n.key, "key": f"matrix-neu-{n.unique()}", "title": "Neu",
    "link_title": "Plan", "link_url": LINK["url"], "link_format": "PDF"})  # fmt: skip
API_DATASET = "/api/catalog/datasets/matrix-{dataset_id}"
FORM_DATASET = "/open-data/datasets/matrix-{dataset_id}"
for expect, name, kind in ((EDITS_CATALOG, "public", ""), (WITHDRAWN, "internal", "withdrawn_")):
    route(expect, "PATCH /api/catalog/datasets/{dataset_id}", name=name, path=API_DATASET,
          ids={"dataset_id": f"{kind}dataset"}, json={"description": "geändert"})  # fmt: skip
    route(expect, "DELETE /api/catalog/datasets/{dataset_id}", name=name, path=API_DATASET,
          ids={"dataset_id": f"spent:{kind}dataset"})  # fmt: skip
    route(expect, "POST /open-data/datasets/{dataset_id}", name=name, path=FORM_DATASET,
          ids={"dataset_id": f"{kind}dataset"},
          data={"description": "geändert", "hidden": "on" if kind else ""})  # fmt: skip

# The web shell
for path in ("/", "/login", "/accessibility", "/privacy", "/imprint"):
    whole(public, f"GET {path}")
route(public, "GET /m/{key}")
whole(public, "GET /language", params={"lang": "en", "next": "/"})
whole(public, "POST /login",
      data={"email": "citizen@example.org", "password": PASSWORD, "next": "/"})  # fmt: skip
whole(public, "POST /logout", data={}, fresh_login=True)
whole(for_people(), "GET /account")
# Accounts people manage themselves: forms that are refused (422) change nothing.
for path in ("/account/password", "/account/delete"):
    whole(for_people(), f"GET {path}")
    whole(for_people(), f"POST {path}", data={"password": "not the password"})
whole(for_people(), "POST /account/mail", data={"updates": "on"})
for path in ("/account/deleted", "/signup", "/signup/confirm", "/password/forgot",
             "/password/reset", "/mail/unsubscribe"):  # fmt: skip
    whole(public, f"GET {path}")
for path in ("/signup", "/signup/confirm", "/password/forgot", "/password/reset",
             "/mail/unsubscribe"):  # fmt: skip
    whole(public, f"POST {path}", data={})
# Administration: administrators only; others to the sign-in page, or 403 when signed in.
ADMIN_PAGE = page(admin)
for path in ("/admin", "/admin/apikeys", "/admin/municipalities", "/admin/municipalities/new",
             "/admin/outbox", "/admin/users", "/admin/users/new"):  # fmt: skip
    whole(ADMIN_PAGE, f"GET {path}")
for path in ("/admin/apikeys", "/admin/municipalities/new", "/admin/users/new"):
    whole(ADMIN_PAGE, f"POST {path}", data={})
route(ADMIN_PAGE, "GET /admin/municipalities/{key}")
route(ADMIN_PAGE, "POST /admin/municipalities/{key}", data={"name": ""})
route(ADMIN_PAGE, "POST /admin/municipalities/{key}/districts", data={})
DISTRICT_DELETE = "POST /admin/municipalities/{key}/districts/{district_id}/delete"
route(then(ADMIN_PAGE, same(404)), DISTRICT_DELETE,
      path="/admin/municipalities/{key}/districts/999999/delete", data={})  # fmt: skip
route(ADMIN_PAGE, "POST /admin/apikeys/{key_id}/revoke", ids={"key_id": "spent:api_key"}, data={})
whole(ADMIN_PAGE, "GET /admin/users/{user_id}")
whole(ADMIN_PAGE, "POST /admin/users/{user_id}/{change}", path="/admin/users/{user_id}/invite",
      data={})  # fmt: skip

#: Static files: public (one real file of each mounted folder is fetched).
STATIC = public
