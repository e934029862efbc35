"""Demo data: a tree cadastre, playgrounds with devices and their inspection history (some
overdue), benches, lights, bins, a market square with bookings, reports in every state, and
adopted trees with watering logs. Everything comes from the demo's seeded generator."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shapely.geometry import Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.assets.adoption.service import announce_watering
from allmende.modules.assets.catalogue import DEFAULT_SERVICES
from allmende.modules.assets.models import (
    Activity,
    Adoption,
    AssetObject,
    Booking,
    Change,
    Defect,
    Inspection,
    InspectionPlan,
    ObjectType,
    Report,
    ReportNote,
    ReportService,
    WorkOrder,
)
from allmende.sdk import DemoContext, Municipality, User

BERLIN = ZoneInfo("Europe/Berlin")
ACTOR = "Demo"

#: German name, botanical name, genus, share
SPECIES = (
    ("Winter-Linde", "Tilia cordata", "Tilia", 14),
    ("Spitz-Ahorn", "Acer platanoides", "Acer", 13),
    ("Berg-Ahorn", "Acer pseudoplatanus", "Acer", 8),
    ("Stiel-Eiche", "Quercus robur", "Quercus", 9),
    ("Platane", "Platanus × hispanica", "Platanus", 7),
    ("Hainbuche", "Carpinus betulus", "Carpinus", 9),
    ("Gemeine Esche", "Fraxinus excelsior", "Fraxinus", 4),
    ("Rosskastanie", "Aesculus hippocastanum", "Aesculus", 6),
    ("Robinie", "Robinia pseudoacacia", "Robinia", 6),
    ("Sand-Birke", "Betula pendula", "Betula", 5),
    ("Baum-Hasel", "Corylus colurna", "Corylus", 7),
    ("Ginkgo", "Ginkgo biloba", "Ginkgo", 3),
    ("Feld-Ahorn", "Acer campestre", "Acer", 5),
    ("Japanischer Schnurbaum", "Styphnolobium japonicum", "Styphnolobium", 4),
)
STREETS = (
    "Hauptstraße",
    "Bahnhofstraße",
    "Schulstraße",
    "Lindenallee",
    "Kirchgasse",
    "Mühlweg",
    "Gartenstraße",
    "Am Auenufer",
    "Rosenweg",
    "Friedhofstraße",
    "Goethestraße",
    "Ringstraße",
    "Neckarstraße",
    "Wiesenweg",
    "Eichendorffweg",
    "Marktstraße",
)
DEVICES = (
    ("Doppelschaukel", 2.0, "sand"),
    ("Rutsche", 1.5, "sand"),
    ("Kletterkombination", 2.5, "bark"),
    ("Wippe", 1.0, "sand"),
    ("Sandkasten mit Bagger", 0.6, "sand"),
    ("Federwippgerät", 0.8, "rubber"),
    ("Karussell", 1.0, "rubber"),
    ("Nestschaukel", 1.6, "bark"),
    ("Balancierstrecke", 0.6, "bark"),
    ("Spielhaus", 1.2, "sand"),
)
MAKERS = ("Kompan", "Berliner Seilfabrik", "Eibe", "Spogg", "Richter Spielgeräte", "Huck")
PLAYGROUNDS = {
    "auenstadt": ("Spielplatz Stadtpark", "Spielplatz Nordstadt", "Wasserspielplatz Auenufer"),
    "lindenbach": ("Spielplatz am Dorfweiher",),
    "eichtal": ("Spielplatz Am Hang",),
}
COUNTS = {  # trees, benches, lights, bins
    "auenstadt": (150, 30, 40, 20),
    "lindenbach": (50, 10, 15, 8),
    "eichtal": (40, 8, 12, 6),
}


def _offset(point: Point, dx_m: float, dy_m: float) -> tuple[float, float]:
    """A point ``dx_m`` east and ``dy_m`` north (good enough at these few metres)."""
    lat = point.y + dy_m / 111_320
    lon = point.x + dx_m / (111_320 * math.cos(math.radians(point.y)))
    return (lon, lat)


def _rect(centre: Point, width_m: float, height_m: float) -> Polygon:
    (x0, y0), (x1, y1) = (
        _offset(centre, -width_m / 2, -height_m / 2),
        _offset(centre, width_m / 2, height_m / 2),
    )
    return box(x0, y0, x1, y1)


def _inside(rng: random.Random, area: BaseGeometry) -> Point:
    minx, miny, maxx, maxy = area.bounds
    for _ in range(1000):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if area.contains(p):
            return p
    return area.representative_point()


@dataclass
class Demo:
    ctx: DemoContext
    types: dict[str, ObjectType]
    plans: dict[tuple[str, str], InspectionPlan]

    @property
    def session(self) -> Session:
        return self.ctx.session

    @property
    def rng(self) -> random.Random:
        return self.ctx.rng

    def ago(self, days: float, hours: float = 0) -> datetime:
        return self.ctx.now - timedelta(days=days, hours=hours)

    def obj(
        self,
        m: Municipality,
        type_key: str,
        name: str,
        geom: BaseGeometry,
        *,
        identifier: str | None = None,
        attributes: dict[str, Any] | None = None,
        parent: AssetObject | None = None,
        description: str = "",
        address: str | None = None,
        created_days_ago: float = 400,
    ) -> AssetObject:
        at = self.ago(created_days_ago)
        o = AssetObject(
            municipality_id=m.id,
            type_id=self.types[type_key].id,
            parent_id=parent.id if parent else None,
            identifier=identifier,
            name=name,
            description=description,
            notes="",
            address=address,
            attributes=attributes or {},
            public=True,
            status="active",
            created_at=at,
            updated_at=at,
        )
        o.geom = geom
        self.session.add(o)
        return o


def add_demo(ctx: DemoContext) -> None:
    session = ctx.session
    types = {
        t.key: t
        for t in session.scalars(select(ObjectType).where(ObjectType.municipality_id.is_(None)))
    }
    plans = {
        (next(k for k, t in types.items() if t.id == p.type_id), p.kind): p
        for p in session.scalars(
            select(InspectionPlan).where(InspectionPlan.municipality_id.is_(None))
        )
    }
    demo = Demo(ctx, types, plans)
    staff = {key: ctx.users.get(f"staff:{key}") for key in ctx.municipalities}
    for key, m in ctx.municipalities.items():
        services = _services(demo, m)
        trees = _trees(demo, key, m)
        session.flush()
        _tree_inspections(demo, m, trees, staff[key])
        devices = _playgrounds(demo, key, m)
        session.flush()
        _device_inspections(demo, m, devices, staff[key])
        furniture = _street_furniture(demo, key, m)
        session.flush()
        _routine_inspections(demo, furniture, staff[key])
        _history(demo, trees + devices + furniture)
        _reports(
            demo, key, m, services, trees, furniture, devices, staff[key], ctx.users.get("citizen")
        )
        if key == "auenstadt":
            _market(demo, m)
            _adoptions(demo, m, trees, ctx.users.get("citizen"))
        _heat_places(demo, key, m)
    ctx.notes.append(
        "Public spaces: /assets (objects), /reports/new (report a problem), /spaces "
        "(bookings calendar); building yard view: /maintenance"
    )


#: Cool places, drinking fountains and shade: (type, name, district index, metres east, north,
#: attributes); placed without the generator so the rest of the demo stays as it was.
HEAT_PLACES: dict[str, tuple[tuple[str, str, int, float, float, dict[str, Any]], ...]] = {
    "auenstadt": (
        ("cool_place", "Stadtbibliothek Auenstadt", 0, 80, 40, {
            "place_kind": "Bibliothek", "opening_hours": "Di–Fr 10–19 Uhr, Sa 10–14 Uhr",
            "accessible": True, "drinking_water": True, "seats": 60}),
        ("cool_place", "Kirche St. Martin", 0, -120, 90, {
            "place_kind": "Kirche", "opening_hours": "täglich 9–18 Uhr", "accessible": True,
            "drinking_water": False, "seats": 200}),
        ("cool_place", "Kühlraum im Bürgerhaus Südstadt", 3, 0, 0, {
            "place_kind": "Kühlraum", "opening_hours": "bei Hitzewarnung täglich 11–19 Uhr",
            "accessible": True, "drinking_water": True, "seats": 30}),
        ("drinking_fountain", "Trinkbrunnen Marktplatz", 0, 30, -20, {
            "opening_hours": "April bis Oktober", "accessible": True}),
        ("drinking_fountain", "Trinkbrunnen Nordstadt", 1, 0, 0, {
            "opening_hours": "April bis Oktober", "accessible": True}),
        ("drinking_fountain", "Trinkbrunnen Weststadt", 4, 0, 0, {
            "opening_hours": "April bis Oktober", "accessible": False}),
        ("shade", "Sonnensegel am Spielplatz Stadtpark", 2, 40, 30, {
            "shade_kind": "Sonnensegel", "opening_hours": "jederzeit", "seats": 12}),
        ("shade", "Schattenplatz unter den Linden", 0, -60, -80, {
            "shade_kind": "Bäume", "opening_hours": "jederzeit", "seats": 8}),
    ),
    "lindenbach": (
        ("cool_place", "Gemeindebücherei Lindenbach", 0, 40, 20, {
            "place_kind": "Bibliothek", "opening_hours": "Mo, Mi, Fr 14–18 Uhr",
            "accessible": True, "drinking_water": True, "seats": 20}),
        ("drinking_fountain", "Trinkbrunnen am Dorfweiher", 0, -50, 30, {
            "opening_hours": "Mai bis September", "accessible": True}),
        ("shade", "Schattenplatz an der Sporthalle", 1, 0, 0, {
            "shade_kind": "Bäume", "opening_hours": "jederzeit", "seats": 6}),
    ),
    "eichtal": (
        ("cool_place", "Pfarrkirche Eichtal", 0, 20, 30, {
            "place_kind": "Kirche", "opening_hours": "täglich 8–19 Uhr", "accessible": False,
            "drinking_water": False, "seats": 120}),
        ("drinking_fountain", "Trinkbrunnen Rathausplatz Eichtal", 0, -30, -10, {
            "opening_hours": "Mai bis September", "accessible": True}),
    ),
}  # fmt: skip


def _heat_places(demo: Demo, key: str, m: Municipality) -> None:
    areas = _district_areas(demo, key)
    for n, (type_key, name, district, east, north, attributes) in enumerate(
        HEAT_PLACES.get(key, ()), start=1
    ):
        centre = areas[district][1].representative_point()
        demo.obj(
            m,
            type_key,
            name,
            Point(_offset(centre, east, north)),
            identifier=f"HZ-{n:02d}",
            attributes=attributes,
        )


def _services(demo: Demo, m: Municipality) -> dict[str, ReportService]:
    found = {}
    for spec in DEFAULT_SERVICES:
        s = ReportService(municipality_id=m.id, active=True, **spec)
        demo.session.add(s)
        found[spec["code"]] = s
    return found


def _district_areas(demo: Demo, key: str) -> list[tuple[str, BaseGeometry]]:
    return [(d.name, d.geom) for d in demo.ctx.districts[key] if d.geom is not None]


def _trees(demo: Demo, key: str, m: Municipality) -> list[AssetObject]:
    rng = demo.rng
    weights = [s[3] for s in SPECIES]
    areas = _district_areas(demo, key)
    trees = []
    for n in range(1, COUNTS[key][0] + 1):
        district, area = areas[n % len(areas)]
        german, botanical, genus, _ = rng.choices(SPECIES, weights=weights)[0]
        planted = rng.randint(1955, 2021)
        age = demo.ctx.now.year - planted
        street = rng.choice(STREETS)
        identifier = f"{key[:2].upper()}-{n:05d}"
        trees.append(
            demo.obj(
                m,
                "tree",
                f"{german} {identifier}",
                _inside(rng, area),
                identifier=identifier,
                address=f"{street} {rng.randint(1, 80)}, {m.name}-{district}",
                attributes={
                    "species_de": german,
                    "species_botanical": botanical,
                    "genus": genus,
                    "planting_year": planted,
                    "height_m": round(min(32.0, 3 + age * rng.uniform(0.25, 0.45)), 1),
                    "crown_diameter_m": round(min(22.0, 1.5 + age * rng.uniform(0.12, 0.22)), 1),
                    "trunk_circumference_cm": int(min(420, 15 + age * rng.uniform(2.0, 3.4))),
                    "street": street,
                    "risk_class": rng.choices(["low", "medium", "high"], weights=[80, 17, 3])[0],
                },
                created_days_ago=rng.uniform(500, 900),
            )
        )
    return trees


def _inspection(
    demo: Demo,
    o: AssetObject,
    plan: InspectionPlan,
    days_ago: float,
    inspector: User | None,
    *,
    defect: tuple[str, str, str] | None = None,  # item code, note, priority
) -> Inspection:
    items = [
        {
            "code": i["code"],
            "label": i["label"],
            "result": "defect" if defect and defect[0] == i["code"] else "ok",
            "note": defect[1] if defect and defect[0] == i["code"] else "",
            "priority": defect[2] if defect and defect[0] == i["code"] else None,
        }
        for i in plan.checklist
    ]
    inspection = Inspection(
        municipality_id=o.municipality_id,
        object_id=o.id,
        plan_id=plan.id,
        kind=plan.kind,
        performed_at=demo.ago(days_ago, hours=demo.rng.uniform(0, 6)),
        inspector_user_id=inspector.id if inspector else None,
        inspector=inspector.display_name if inspector else "Bauhof",
        result="defects" if defect else "ok",
        items=items,
        notes="",
        created_at=demo.ago(days_ago),
    )
    demo.session.add(inspection)
    return inspection


def _tree_inspections(
    demo: Demo, m: Municipality, trees: list[AssetObject], inspector: User | None
) -> None:
    plan = demo.plans[("tree", "visual")]
    for tree in trees:
        # mostly inspected within the year; about one in ten is overdue
        _inspection(demo, tree, plan, demo.rng.uniform(20, 400), inspector)


def _playgrounds(demo: Demo, key: str, m: Municipality) -> list[AssetObject]:
    rng = demo.rng
    areas = _district_areas(demo, key)
    devices: list[AssetObject] = []
    for i, name in enumerate(PLAYGROUNDS[key]):
        district, area = areas[(i + 1) % len(areas)]
        centre = _inside(rng, area.buffer(-0.002) if not area.buffer(-0.002).is_empty else area)
        outline = _rect(centre, rng.uniform(35, 60), rng.uniform(25, 45))
        playground = demo.obj(
            m,
            "playground",
            name,
            outline,
            identifier=f"SP-{i + 1:02d}",
            address=f"{m.name}-{district}",
            description="Öffentlicher Spielplatz, Betreiber: Gemeinde.",
            attributes={
                "area_m2": round(outline.area * 111_320**2 * math.cos(math.radians(centre.y)), 0),
                "age_group": rng.choice(["0-6", "0-14", "6-12"]),
                "fenced": rng.random() < 0.7,
                "operator": f"{m.kind} {m.name}",
            },
            created_days_ago=900,
        )
        demo.session.flush()
        kinds = rng.sample(DEVICES, rng.randint(4, 6))
        for j, (kind, fall, surface) in enumerate(kinds, start=1):
            devices.append(
                demo.obj(
                    m,
                    "play_device",
                    f"{kind} ({name})",
                    _inside(rng, outline.buffer(-0.00004)),
                    identifier=f"SP-{i + 1:02d}-{j:02d}",
                    parent=playground,
                    attributes={
                        "device_kind": kind,
                        "manufacturer": rng.choice(MAKERS),
                        "installed_year": rng.randint(2005, 2022),
                        "fall_height_m": fall,
                        "surface": surface,
                    },
                    created_days_ago=900,
                )
            )
        devices.append(playground)
    return devices


def _device_inspections(
    demo: Demo, m: Municipality, objs: list[AssetObject], inspector: User | None
) -> None:
    rng = demo.rng
    orders_done = 0
    for n, o in enumerate(objs):
        type_key = "playground" if o.type_id == demo.types["playground"].id else "play_device"
        visual = demo.plans[(type_key, "visual")]
        # weekly visual inspections for the last two months; every fourth object has missed
        # the latest one (overdue now)
        gap = rng.uniform(8, 12) if n % 4 == 0 else rng.uniform(1, 6)
        for week in range(8):
            _inspection(demo, o, visual, gap + 7 * week, inspector)
        if type_key == "play_device":
            operational = demo.plans[("play_device", "operational")]
            for month in range(3):
                _inspection(demo, o, operational, rng.uniform(5, 25) + 30 * month, inspector)
            main = demo.plans[("play_device", "main")]
            main_ago = rng.uniform(380, 420) if n % 7 == 3 else rng.uniform(60, 330)
            if n % 5 == 1 and orders_done < 2:
                inspection = _inspection(
                    demo,
                    o,
                    main,
                    main_ago,
                    inspector,
                    defect=("wear", "Kettenglieder verschlissen", "medium"),
                )
                _fixed_defect(demo, o, inspection, main_ago)
                orders_done += 1
            else:
                _inspection(demo, o, main, main_ago, inspector)
    demo.session.flush()
    if objs:  # one open urgent defect with its work order
        device = next(o for o in objs if o.type_id == demo.types["play_device"].id)
        plan = demo.plans[("play_device", "operational")]
        inspection = _inspection(
            demo,
            device,
            plan,
            2,
            inspector,
            defect=("fixings", "Schraubverbindung am Podest lose", "high"),
        )
        demo.session.flush()
        order = WorkOrder(
            municipality_id=m.id,
            object_id=device.id,
            title=f"{device.name}: Schraubverbindung am Podest lose",
            description="Gerät bis zur Reparatur gesperrt.",
            assignee_kind="internal",
            assignee="Bauhof, Kolonne Spielplätze",
            due_on=(demo.ctx.now + timedelta(days=1)).date(),
            status="in_progress",
            created_at=demo.ago(2),
            updated_at=demo.ago(1),
        )
        demo.session.add(order)
        demo.session.flush()
        demo.session.add(
            Defect(
                municipality_id=m.id,
                object_id=device.id,
                inspection_id=inspection.id,
                work_order_id=order.id,
                description="Schraubverbindung am Podest lose",
                priority="high",
                status="open",
                created_at=demo.ago(2),
            )
        )
        device.status = "closed"


def _fixed_defect(demo: Demo, o: AssetObject, inspection: Inspection, days_ago: float) -> None:
    demo.session.flush()
    order = WorkOrder(
        municipality_id=o.municipality_id,
        object_id=o.id,
        title=f"{o.name}: Ketten tauschen",
        description="Verschlissene Kettenglieder ersetzen.",
        assignee_kind="external",
        assignee="Spielplatzservice Rhein-Neckar GmbH",
        due_on=(demo.ago(days_ago) + timedelta(days=14)).date(),
        status="done",
        cost_cents=demo.rng.randint(180, 650) * 100,
        completion_note="Ketten beider Sitze erneuert.",
        created_at=demo.ago(days_ago),
        updated_at=demo.ago(days_ago - 9),
        completed_at=demo.ago(days_ago - 9),
    )
    demo.session.add(order)
    demo.session.flush()
    demo.session.add(
        Defect(
            municipality_id=o.municipality_id,
            object_id=o.id,
            inspection_id=inspection.id,
            work_order_id=order.id,
            description="Kettenglieder verschlissen",
            priority="medium",
            status="fixed",
            created_at=demo.ago(days_ago),
            fixed_at=demo.ago(days_ago - 9),
        )
    )


def _street_furniture(demo: Demo, key: str, m: Municipality) -> list[AssetObject]:
    rng = demo.rng
    areas = _district_areas(demo, key)
    _, benches, lights, bins = COUNTS[key]
    made: list[AssetObject] = []
    for n in range(1, benches + 1):
        _, area = areas[n % len(areas)]
        made.append(
            demo.obj(
                m,
                "bench",
                f"Bank {rng.choice(STREETS)}",
                _inside(rng, area),
                identifier=f"BA-{n:04d}",
                attributes={
                    "material": rng.choice(["Holz", "Metall", "Holz/Metall", "Beton"]),
                    "seats": rng.choice([2, 3, 4]),
                    "backrest": rng.random() < 0.8,
                },
            )
        )
    for n in range(1, lights + 1):
        _, area = areas[n % len(areas)]
        street = rng.choice(STREETS)
        made.append(
            demo.obj(
                m,
                "street_light",
                f"Leuchte {street} {n}",
                _inside(rng, area),
                identifier=f"L-{n:05d}",
                attributes={
                    "lamp_type": rng.choices(["led", "sodium", "mercury"], weights=[70, 25, 5])[0],
                    "power_w": rng.choice([18, 24, 36, 50, 70]),
                    "mast_height_m": rng.choice([4.0, 5.0, 6.0, 8.0]),
                    "circuit": f"SK-{rng.randint(1, 12):02d}",
                },
            )
        )
    for n in range(1, bins + 1):
        _district, area = areas[n % len(areas)]
        made.append(
            demo.obj(
                m,
                "waste_bin",
                f"Papierkorb {rng.choice(STREETS)}",
                _inside(rng, area),
                identifier=f"PK-{n:04d}",
                attributes={
                    "volume_l": rng.choice([35, 50, 70]),
                    "emptying_interval_days": rng.choice([2, 3, 7]),
                },
            )
        )
    centre = areas[0][1].representative_point()
    made.append(
        demo.obj(
            m,
            "fountain",
            f"Brunnen {m.name}",
            centre,
            identifier="BR-01",
            attributes={"drinking_water": key == "auenstadt", "season": "April bis Oktober"},
        )
    )
    if key == "auenstadt":
        made.append(
            demo.obj(
                m,
                "public_toilet",
                "Toilettenanlage Marktplatz",
                Point(_offset(centre, 60, -50)),
                identifier="WC-01",
                attributes={
                    "accessible": True,
                    "fee_eur": 0.5,
                    "opening_hours": "täglich 7–21 Uhr",
                },
            )
        )
    return made


def _routine_inspections(demo: Demo, objs: list[AssetObject], inspector: User | None) -> None:
    """The last inspection of each plan, mostly in time; about one in twenty is overdue."""
    keys = {t.id: k for k, t in demo.types.items()}
    for o in objs:
        for (type_key, _), plan in demo.plans.items():
            if type_key == keys[o.type_id]:
                ago = plan.interval_days * demo.rng.uniform(0.05, 1.05)
                _inspection(demo, o, plan, ago, inspector)


def _history(demo: Demo, objs: list[AssetObject]) -> None:
    demo.session.add_all(
        Change(
            object_id=o.id,
            municipality_id=o.municipality_id,
            at=o.created_at,
            actor=ACTOR,
            kind="created",
            summary="Übernahme aus dem Altbestand",
            changes={},
        )
        for o in objs
    )


def _local(day: datetime, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day.astimezone(BERLIN).date(), time(hour, minute), BERLIN)


def _market(demo: Demo, m: Municipality) -> None:
    centre = demo.ctx.districts["auenstadt"][0].geom
    assert centre is not None
    middle = centre.representative_point()
    square = _rect(middle, 90, 60)
    space = demo.obj(
        m,
        "public_space",
        "Marktplatz",
        square,
        identifier="PL-01",
        address="Marktplatz, Auenstadt-Innenstadt",
        description="Zentraler Platz für Wochenmarkt und Veranstaltungen.",
        attributes={
            "area_m2": 5400,
            "surface": "Natursteinpflaster",
            "power_supply": True,
            "water_supply": True,
        },
    )
    demo.session.flush()
    minx, miny, maxx, maxy = square.bounds
    north = box(minx, (miny + maxy) / 2, maxx, maxy)
    south = box(minx, miny, maxx, (miny + maxy) / 2)
    now = demo.ctx.now
    saturday = now + timedelta(days=(5 - now.astimezone(BERLIN).weekday()) % 7)

    def booking(
        title: str, start: datetime, end: datetime, area: BaseGeometry, status: str, **extra: Any
    ) -> None:
        b = Booking(
            municipality_id=m.id,
            object_id=space.id,
            title=title,
            description=extra.pop("description", ""),
            organiser=extra.pop("organiser", "Stadtmarketing Auenstadt e. V."),
            contact_email=extra.pop("contact_email", "markt@auenstadt.demo.allmende.example"),
            starts_at=start,
            ends_at=end,
            status=status,
            public=True,
            decision_note=extra.pop("note", ""),
            decided_at=now - timedelta(days=20) if status in ("approved", "rejected") else None,
            created_at=now - timedelta(days=30),
        )
        b.geom = area
        demo.session.add(b)

    for week in range(-2, 7):
        day = saturday + timedelta(weeks=week)
        booking(
            "Wochenmarkt",
            _local(day, 7),
            _local(day, 13),
            north,
            "approved",
            description="Obst, Gemüse, Käse und Blumen aus der Region.",
        )
    fest = saturday + timedelta(weeks=3)
    booking(
        "Stadtfest",
        _local(fest + timedelta(days=1), 10),
        _local(fest + timedelta(days=1), 23),
        square,
        "approved",
        description="Musik, Vereine und Kulinarik auf dem ganzen Platz.",
    )
    booking(
        "Flohmarkt der Grundschule",
        _local(saturday + timedelta(weeks=1), 14),
        _local(saturday + timedelta(weeks=1), 18),
        south,
        "requested",
        organiser="Förderverein Grundschule Auenstadt",
        contact_email="foerderverein@example.org",
    )
    booking(
        "Zirkus Sonnenschein",
        _local(saturday + timedelta(weeks=5, days=-3), 9),
        _local(saturday + timedelta(weeks=5, days=-1), 20),
        square,
        "requested",
        organiser="Circus Sonnenschein GbR",
        contact_email="tour@example.org",
    )
    booking(
        "Oldtimertreffen",
        _local(saturday + timedelta(weeks=5, days=-2), 10),
        _local(saturday + timedelta(weeks=5, days=-2), 17),
        south,
        "requested",
        organiser="Oldtimerfreunde Auenland",
        contact_email="info@example.org",
    )
    booking(
        "Werbeaktion Autohaus",
        _local(saturday + timedelta(weeks=2), 8),
        _local(saturday + timedelta(weeks=2), 12),
        north,
        "rejected",
        organiser="Autohaus Beispiel",
        contact_email="marketing@example.org",
        note="Konflikt mit dem Wochenmarkt.",
    )
    fest_lb = demo.obj(
        demo.ctx.municipalities["lindenbach"],
        "public_space",
        "Festwiese",
        _rect(demo.ctx.districts["lindenbach"][0].geom.representative_point(), 70, 50),  # type: ignore[union-attr]
        identifier="PL-01",
        attributes={
            "area_m2": 3500,
            "surface": "Rasen",
            "power_supply": True,
            "water_supply": False,
        },
    )
    demo.session.flush()
    assert fest_lb.id


#: service code, description, state, days ago, object kind, public note, closing note, contact
REPORTS = (
    (
        "strassenbeleuchtung",
        "Die Laterne vor Hausnummer 12 ist seit Tagen dunkel.",
        "received",
        1,
        "street_light",
        "",
        "",
        True,
    ),
    (
        "muell",
        "Sperrmüll am Wegrand abgeladen: Matratze und Schrank.",
        "received",
        2,
        None,
        "",
        "",
        False,
    ),
    (
        "strassenschaden",
        "Tiefes Schlagloch auf dem Radweg, gefährlich bei Dunkelheit.",
        "confirmed",
        4,
        None,
        "Wir haben die Stelle besichtigt.",
        "",
        True,
    ),
    (
        "spielplatz",
        "An der Rutsche steht eine Schraube heraus.",
        "in_progress",
        6,
        "play_device",
        "",
        "",
        False,
    ),
    (
        "baum",
        "Großer Ast hängt abgebrochen im Baum über dem Gehweg.",
        "in_progress",
        3,
        "tree",
        "",
        "",
        True,
    ),
    (
        "strassenbeleuchtung",
        "Laterne flackert die ganze Nacht.",
        "fixed",
        25,
        "street_light",
        "",
        "Leuchtmittel getauscht.",
        False,
    ),
    (
        "muell",
        "Papierkorb quillt über.",
        "fixed",
        12,
        "waste_bin",
        "",
        "Geleert; Leerungsintervall erhöht.",
        False,
    ),
    (
        "strassenschaden",
        "Gehwegplatte lose vor der Bäckerei.",
        "fixed",
        40,
        None,
        "",
        "Platte neu verlegt.",
        True,
    ),
    ("baum", "Baumscheibe voller Müll.", "fixed", 18, "tree", "", "Baumscheibe gereinigt.", False),
    (
        "strassenbeleuchtung",
        "Laterne dunkel.",
        "duplicate",
        24,
        "street_light",
        "",
        "Bereits gemeldet, siehe frühere Meldung.",
        False,
    ),
    (
        "sonstiges",
        "Graffiti an der Bushaltestelle der Landesstraße.",
        "not_responsible",
        9,
        None,
        "",
        "Zuständig ist der Landkreis; wir haben die Meldung weitergegeben.",
        False,
    ),
)


def _reports(
    demo: Demo,
    key: str,
    m: Municipality,
    services: dict[str, ReportService],
    trees: list[AssetObject],
    furniture: list[AssetObject],
    devices: list[AssetObject],
    staff: User | None,
    citizen: User | None,
) -> None:
    rng = demo.rng
    demo.session.flush()
    pools = {
        "street_light": [o for o in furniture if o.type_id == demo.types["street_light"].id],
        "waste_bin": [o for o in furniture if o.type_id == demo.types["waste_bin"].id],
        "tree": trees,
        "play_device": [o for o in devices if o.type_id == demo.types["play_device"].id],
    }
    chosen = REPORTS if key == "auenstadt" else REPORTS[:2] + REPORTS[5:6]
    author = staff.display_name if staff else "Bauhof"
    for n, (code, text, state, days, kind, note, closing, contact) in enumerate(chosen):
        obj = rng.choice(pools[kind]) if kind else None
        area = _district_areas(demo, key)[n % len(_district_areas(demo, key))][1]
        at = demo.ago(days, hours=rng.uniform(0, 10))
        closed = state in ("fixed", "duplicate", "not_responsible")
        report = Report(
            municipality_id=m.id,
            service_id=services[code].id,
            object_id=obj.id if obj else None,
            description=text,
            address=obj.address
            if obj and obj.address
            else f"{rng.choice(STREETS)} {rng.randint(1, 60)}",
            attributes={"fault": "dark"} if code == "strassenbeleuchtung" else {},
            state=state,
            public=True,
            token=f"demo-{key}-{n:03d}-{rng.getrandbits(40):010x}",
            channel="web" if n % 3 else "open311",
            contact_email="anwohnerin@example.org" if contact else None,
            user_id=citizen.id if citizen and n % 4 == 0 else None,
            created_at=at,
            updated_at=at,
            closed_at=demo.ago(days - 2) if closed else None,
        )
        report.geom = (
            obj.geom.representative_point() if obj and obj.geom is not None else _inside(rng, area)
        )
        demo.session.add(report)
        demo.session.flush()
        demo.session.add(
            ReportNote(
                report_id=report.id,
                at=at,
                state="received",
                text="",
                public=True,
                author="Bürgerin",
            )
        )
        if state == "confirmed":
            demo.session.add(
                ReportNote(
                    report_id=report.id,
                    at=demo.ago(days - 1),
                    state=state,
                    text=note,
                    public=True,
                    author=author,
                )
            )
        if state == "in_progress" or state == "fixed":
            order = WorkOrder(
                municipality_id=m.id,
                object_id=obj.id if obj else None,
                title=f"{services[code].name} (Meldung #{report.id})",
                description=text,
                assignee_kind="internal",
                assignee="Bauhof",
                due_on=(demo.ago(days) + timedelta(days=7)).date(),
                status="done" if closed else "open",
                completion_note=closing,
                created_at=demo.ago(days - 1),
                updated_at=demo.ago(days - 2 if closed else days - 1),
                completed_at=demo.ago(days - 2) if closed else None,
            )
            demo.session.add(order)
            demo.session.flush()
            report.work_order_id = order.id
            demo.session.add(
                ReportNote(
                    report_id=report.id,
                    at=demo.ago(days - 1),
                    state="in_progress",
                    text="",
                    public=True,
                    author=author,
                )
            )
        if closed:
            demo.session.add(
                ReportNote(
                    report_id=report.id,
                    at=demo.ago(days - 2),
                    state=state,
                    text=closing,
                    public=True,
                    author=author,
                )
            )
        if obj is not None:
            demo.session.add(
                Change(
                    object_id=obj.id,
                    municipality_id=m.id,
                    at=at,
                    actor=ACTOR,
                    kind="report",
                    summary=f"#{report.id} {services[code].name}",
                    ref_id=report.id,
                )
            )


def _adoptions(demo: Demo, m: Municipality, trees: list[AssetObject], citizen: User | None) -> None:
    if citizen is None:
        return
    adopted = demo.rng.sample(trees, 3)
    for tree in adopted:
        demo.session.add(
            Adoption(
                municipality_id=m.id, object_id=tree.id, user_id=citizen.id, created_at=demo.ago(60)
            )
        )
        for _ in range(demo.rng.randint(3, 7)):
            activity = Activity(
                municipality_id=m.id,
                object_id=tree.id,
                user_id=citizen.id,
                kind="watering",
                amount=float(demo.rng.choice([20, 30, 40, 50, 60, 80, 100])),
                at=demo.ago(demo.rng.uniform(1, 45)),
            )
            demo.session.add(activity)
            demo.session.flush()
            announce_watering(demo.session, activity)
