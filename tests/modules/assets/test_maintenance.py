"""Inspection plans, what is due, inspection records, defects and work orders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from allmende.core.errors import NotFound, ValidationFailed
from allmende.core.timeutil import utcnow
from allmende.modules.assets.inspections import service as inspections
from allmende.modules.assets.maintenance import service as workorders
from allmende.modules.assets.models import (
    AssetObject,
    Defect,
    InspectionPlan,
    ObjectType,
    WorkOrder,
)
from allmende.modules.assets.schemas import (
    DefectIn,
    InspectionCreate,
    ItemResult,
    WorkOrderCreate,
    WorkOrderUpdate,
)
from allmende.storage.database import Database
from tests.modules.assets.conftest import World, snapshot, staff_client
from tests.modules.assets.test_reports import submit
from tests.support.client import TestClient
from tests.support.region import People, Region

pytestmark = pytest.mark.integration


def plan(database: Database, type_key: str, kind: str) -> InspectionPlan:
    with database.session() as session:
        found = [
            p
            for p in inspections.list_plans(session)
            if p.kind == kind and p.type_id == _type_id(session, type_key)
        ]
    return found[0]


def _type_id(session, key: str) -> int:  # type: ignore[no-untyped-def]
    return int(session.scalar(select(ObjectType.id).where(ObjectType.key == key)))


def answers(p: InspectionPlan, **special: tuple[str, str, str]) -> list[ItemResult]:
    return [
        ItemResult(
            code=i["code"],
            result=special[i["code"]][0],
            note=special[i["code"]][1],
            priority=special[i["code"]][2],
        )
        if i["code"] in special
        else ItemResult(code=i["code"], result="ok")
        for i in p.checklist
    ]


def record(database: Database, who, object_id: int, data: InspectionCreate):  # type: ignore[no-untyped-def]
    return database.write(
        lambda s: inspections.record_inspection(s, principal=who, object_id=object_id, data=data)
    )


def due_plans(database: Database, who, object_id: int, days: int = 0) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    with database.session() as session:
        found = inspections.due(
            session,
            principal=who,
            now=utcnow() + timedelta(days=days),
            horizon_days=0,
            object_id=object_id,
        )
    return {d.plan.kind: d.overdue for d in found}


def test_play_devices_follow_din_en_1176_7(
    database: Database, people: People, world: World
) -> None:
    visual, operational, main = (
        plan(database, "play_device", k) for k in ("visual", "operational", "main")
    )
    assert (visual.interval_days, operational.interval_days, main.interval_days) == (7, 30, 365)
    # never inspected: everything is due at once
    assert set(due_plans(database, people.staff_a, world.device)) == {
        "visual",
        "operational",
        "main",
    }
    # a main inspection covers the operational and the visual one
    record(
        database,
        people.staff_a,
        world.device,
        InspectionCreate(plan_id=main.id, items=answers(main)),
    )
    assert due_plans(database, people.staff_a, world.device) == {}
    # a week later the visual inspection is overdue, a month later the operational one too
    assert due_plans(database, people.staff_a, world.device, days=8) == {"visual": True}
    assert due_plans(database, people.staff_a, world.device, days=31) == {
        "visual": True,
        "operational": True,
    }
    # a visual inspection resets only the visual interval
    record(
        database,
        people.staff_a,
        world.device,
        InspectionCreate(plan_id=visual.id, items=answers(visual)),
    )
    assert due_plans(database, people.staff_a, world.device, days=31) == {
        "operational": True,
        "visual": True,
    }
    assert due_plans(database, people.staff_a, world.device, days=6) == {}
    # staff of B and the public see nothing of A's inspections
    assert due_plans(database, people.staff_b, world.device) == {}
    assert due_plans(database, people.anonymous, world.device) == {}


def test_a_high_priority_defect_opens_a_work_order(
    database: Database, people: People, world: World
) -> None:
    operational = plan(database, "play_device", "operational")
    data = InspectionCreate(
        plan_id=operational.id,
        items=answers(
            operational,
            fixings=("defect", "Schraube am Podest lose", "high"),
            wear=("defect", "Lager trocken", "low"),
        ),
        defects=[DefectIn(description="Graffiti", priority="low")],
        close_object=True,
    )
    done = record(database, people.staff_a, world.device, data)
    assert done.inspection.result == "closed"
    assert sorted(d.priority for d in done.defects) == ["high", "low", "low"]
    assert len(done.work_orders) == 1
    with database.session() as session:
        order = session.get(WorkOrder, done.work_orders[0].id)
        defects = session.scalars(select(Defect).where(Defect.work_order_id == order.id)).all()
        device = session.get(AssetObject, world.device)
    assert "Schraube am Podest lose" in order.title
    assert order.due_on is not None and [d.priority for d in defects] == ["high"]
    assert device is not None and device.status == "closed"
    # closing the work order fixes the defect
    database.write(
        lambda s: workorders.update_work_order(
            s,
            principal=people.staff_a,
            order_id=order.id,
            data=WorkOrderUpdate(status="done", cost="120.50"),
        )
    )
    with database.session() as session:
        fixed = session.scalars(select(Defect).where(Defect.work_order_id == order.id)).one()
        done_order = session.get(WorkOrder, order.id)
    assert fixed.status == "fixed" and done_order.cost_cents == 12050 and done_order.completed_at


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"items": "drop-one"}, "body.items"),
        ({"items": "defect-without-note"}, "body.items[0].note"),
        ({"items": "unknown-code"}, "body.items[0].code"),
        ({"performed_at": "future"}, "body.performed_at"),
        ({"plan_id": "other-type"}, "body.plan_id"),
    ],
)
def test_bad_inspections_are_refused(
    database: Database, people: People, world: World, change: dict, field: str
) -> None:
    visual = plan(database, "play_device", "visual")
    items = answers(visual)
    plan_id = visual.id
    performed = None
    if change.get("items") == "drop-one":
        items = items[1:]
    elif change.get("items") == "defect-without-note":
        items[0] = ItemResult(code=items[0].code, result="defect")
    elif change.get("items") == "unknown-code":
        items[0] = ItemResult(code="nonsense", result="ok")
    if change.get("performed_at"):
        performed = utcnow() + timedelta(days=1)
    if change.get("plan_id"):
        plan_id = plan(database, "tree", "visual").id
    before = snapshot(database)
    with pytest.raises(ValidationFailed) as caught:
        record(
            database,
            people.staff_a,
            world.device,
            InspectionCreate(plan_id=plan_id, items=items, performed_at=performed),
        )
    assert caught.value.errors[0].field == field
    assert snapshot(database) == before


def test_work_orders_belong_to_one_municipality(
    database: Database, people: People, world: World
) -> None:
    mixed = WorkOrderCreate(title="x", object_id=world.tree, municipality="b-dorf")
    with pytest.raises(ValidationFailed):
        database.write(
            lambda s: workorders.create_work_order(s, principal=people.admin, data=mixed)
        )
    order = database.write(
        lambda s: workorders.create_work_order(
            s,
            principal=people.staff_a,
            data=WorkOrderCreate(
                title="Bank streichen",
                object_id=world.bench_internal,
                assignee_kind="external",
                assignee="Malerbetrieb",
            ),
        )
    )
    with database.session() as session:
        with pytest.raises(NotFound):
            workorders.get_work_order(session, principal=people.staff_b, order_id=order.id)
        with pytest.raises(NotFound):
            workorders.get_work_order(session, principal=people.citizen, order_id=order.id)
        assert (
            workorders.list_work_orders(
                session, principal=people.staff_b, f=workorders.WorkOrderFilter()
            )
            == []
        )


def test_maintenance_api(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    assert client.get("/api/assets/inspections/due").status_code == 401
    headers = staff_client(client, region.staff_a_email)
    due = client.get("/api/assets/inspections/due").json()
    assert {d["object_id"] for d in due} >= {world.device, world.playground, world.tree}
    main = plan(database, "play_device", "main")
    body = {
        "plan_id": main.id,
        "items": [
            {
                "code": i["code"],
                "result": "defect" if i["code"] == "structure" else "ok",
                "note": "Riss im Pfosten" if i["code"] == "structure" else "",
                "priority": "high",
            }
            for i in main.checklist
        ],
    }
    recorded = client.post(
        f"/api/assets/objects/{world.device}/inspections", json=body, headers=headers
    )
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["defects"][0]["work_order_id"]
    orders = client.get("/api/assets/work-orders").json()
    assert [o["object_id"] for o in orders] == [world.device]
    history = client.get(f"/api/assets/objects/{world.device}/history").json()
    assert {"inspection", "defect", "work_order"} <= {h["kind"] for h in history}
    before = snapshot(database)
    refused = client.post(
        f"/api/assets/objects/{world.device}/inspections",
        json={**body, "performed_at": "2020-01-01T10:00:00"},
        headers=headers,
    )
    assert (
        refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.performed_at"
    )
    assert snapshot(database) == before
    staff_client(client, region.staff_b_email)
    assert client.get("/api/assets/work-orders").json() == []
    assert client.get(f"/api/assets/work-orders/{orders[0]['id']}").status_code == 404
    assert client.get("/api/assets/defects").json() == []


def test_inspections_keep_photos_internal_and_without_metadata(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    from tests.modules.assets.test_files import jpeg_with_gps

    headers = staff_client(client, region.staff_a_email)
    visual = plan(database, "play_device", "visual")
    body = {
        "plan_id": visual.id,
        "items": [{"code": i["code"], "result": "ok"} for i in visual.checklist],
    }
    inspection = client.post(
        f"/api/assets/objects/{world.device}/inspections", json=body, headers=headers
    ).json()
    added = client.post(
        f"/api/assets/inspections/{inspection['id']}/photos",
        files={"photo": ("scene.jpg", jpeg_with_gps(), "image/jpeg")},
        headers=headers,
    )
    assert added.status_code == 201, added.text
    again = client.get(f"/api/assets/inspections/{inspection['id']}").json()
    assert [p["id"] for p in again["photos"]] == [added.json()["id"]]
    assert b"SpyCam" not in client.get(added.json()["url"]).content
    client.cookies.clear()
    assert client.get(added.json()["url"]).status_code == 404  # inspection records are internal
    staff_client(client, region.staff_b_email)
    assert client.get(added.json()["url"]).status_code == 404


def test_foreign_ids_are_as_unknown_as_missing_ones(
    database: Database, region: Region, people: People, world: World
) -> None:
    """Staff of B learn nothing about A's records from the answers: no existence oracle."""
    foreign_report = int(submit(database, region, people, description="Loch").service_request_id)
    missing = 9_000_000_000

    def refusal(**fields: object) -> tuple[str, str]:
        data = WorkOrderCreate(title="x", municipality="b-dorf", **fields)  # type: ignore[arg-type]
        with pytest.raises(ValidationFailed) as caught:
            database.write(
                lambda s: workorders.create_work_order(s, principal=people.staff_b, data=data)
            )
        [error] = caught.value.errors
        return error.field, error.reason

    for field, foreign in (
        ("report_ids", [foreign_report]),
        ("object_id", world.bench_internal),
    ):
        seen = refusal(**{field: foreign})
        unseen = refusal(**{field: [missing] if isinstance(foreign, list) else missing})
        assert seen == (unseen[0], unseen[1].replace(str(missing), str(foreign).strip("[]")))
