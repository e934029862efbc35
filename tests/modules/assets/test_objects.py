"""The object register: types with JSON Schema attributes, objects, parents, history, tenancy."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from allmende.core.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from allmende.modules.assets.models import Change
from allmende.modules.assets.register import service as objects
from allmende.modules.assets.schemas import ObjectCreate, ObjectUpdate, TypeCreate, TypeUpdate
from allmende.sensing import read as sensing
from allmende.storage.database import Database
from tests.modules.assets.conftest import World, count, point, snapshot, staff_client
from tests.support.client import TestClient
from tests.support.region import People, Region
from tests.support.web import bearer

pytestmark = pytest.mark.integration

LANTERN_SCHEMA = {
    "type": "object",
    "properties": {
        "height_m": {"type": "number", "minimum": 0, "maximum": 20, "title": "Höhe"},
        "colour": {"type": "string", "enum": ["red", "green"]},
        "heated": {"type": "boolean"},
    },
    "required": ["height_m"],
}


def test_built_in_types_are_seeded(database: Database) -> None:
    with database.session() as session:
        keys = {t.key for t in objects.list_types(session)}
    assert {"tree", "playground", "play_device", "bench", "street_light", "fountain"} <= keys
    assert {"waste_bin", "public_toilet", "public_space"} <= keys


def test_a_municipality_adds_a_type_and_its_schema_is_enforced(
    database: Database, people: People
) -> None:
    data = TypeCreate(
        municipality="a-stadt",
        key="lantern",
        name="Laterne",
        attribute_schema=LANTERN_SCHEMA,
        public_attributes=["height_m"],
    )
    t = database.write(lambda s: objects.create_type(s, principal=people.staff_a, data=data))
    assert t.attribute_schema["additionalProperties"] is False
    ok = ObjectCreate(
        municipality="a-stadt",
        type="lantern",
        name="L1",
        geometry=point(8.65, 49.45),
        attributes={"height_m": 4.5, "colour": "red"},
    )
    database.write(lambda s: objects.create_object(s, principal=people.staff_a, data=ok))
    before = snapshot(database)
    for values, field in (
        ({"height_m": 40}, "body.attributes.height_m"),
        ({"height_m": "tall"}, "body.attributes.height_m"),
        ({"height_m": 3, "colour": "blue"}, "body.attributes.colour"),
        ({"colour": "red"}, "body.attributes.height_m"),
        ({"height_m": 3, "wattage": 9}, "body.attributes.wattage"),
    ):
        bad = ok.model_copy(update={"attributes": values, "name": "L2"})
        with pytest.raises(ValidationFailed) as caught:
            database.write(
                lambda s, bad=bad: objects.create_object(s, principal=people.staff_a, data=bad)
            )
        assert caught.value.errors[0].field == field, values
    assert snapshot(database) == before
    # B neither sees A's type for its objects nor may create it
    other = ok.model_copy(update={"municipality": "b-dorf"})
    with pytest.raises(ValidationFailed, match=r"body\.type"):
        database.write(lambda s: objects.create_object(s, principal=people.staff_b, data=other))


@pytest.mark.parametrize(
    ("schema", "public", "field"),
    [
        ({"type": "array"}, [], "body.attribute_schema.type"),
        (
            {"type": "object", "properties": {"x": {"type": "object"}}},
            [],
            "body.attribute_schema.properties.x.type",
        ),
        (
            {"type": "object", "properties": {"x": {"type": "string", "minLength": -1}}},
            [],
            "body.attribute_schema",
        ),
        (
            {"type": "object", "properties": {"bad name": {"type": "string"}}},
            [],
            "body.attribute_schema.properties.bad name",
        ),
        (
            {"type": "object", "properties": {"x": {"type": "string"}}},
            ["y"],
            "body.public_attributes",
        ),
    ],
)
def test_bad_type_schemas_are_refused(
    database: Database, people: People, schema: dict, public: list, field: str
) -> None:
    data = TypeCreate(
        municipality="a-stadt",
        key="thing",
        name="Thing",
        attribute_schema=schema,
        public_attributes=public,
    )
    before = count(database, objects.ObjectType)
    with pytest.raises(ValidationFailed) as caught:
        database.write(lambda s: objects.create_type(s, principal=people.staff_a, data=data))
    assert caught.value.errors[0].field == field
    assert count(database, objects.ObjectType) == before


def test_type_keys_do_not_clash_and_schema_changes_keep_objects_valid(
    database: Database, people: People, world: World
) -> None:
    clash = TypeCreate(municipality="a-stadt", key="tree", name="Baum")
    with pytest.raises(Conflict):
        database.write(lambda s: objects.create_type(s, principal=people.staff_a, data=clash))
    with database.session() as session:
        tree_type = objects.resolve_type(session, 1, "tree", field="type")
    stricter = {"type": "object", "properties": {"species_de": {"type": "string", "maxLength": 3}}}
    with pytest.raises(Forbidden):  # the built-in catalogue belongs to the region
        database.write(
            lambda s: objects.update_type(
                s,
                principal=people.staff_a,
                type_id=tree_type.id,
                data=TypeUpdate(attribute_schema=stricter),
            )
        )
    narrower = TypeUpdate(attribute_schema=stricter, public_attributes=["species_de"])
    with pytest.raises(ValidationFailed, match="existing object"):
        database.write(
            lambda s: objects.update_type(
                s, principal=people.admin, type_id=tree_type.id, data=narrower
            )
        )


@pytest.mark.parametrize(
    ("geometry", "field"),
    [
        (
            {
                "type": "Polygon",
                "coordinates": [[[8.6, 49.4], [8.61, 49.4], [8.61, 49.41], [8.6, 49.4]]],
            },
            "body.geometry.type",
        ),
        ({"type": "Point", "coordinates": [200, 49]}, "body.geometry"),
        ({"type": "Point", "coordinates": ["x"]}, "body.geometry"),
        ({"type": "Blob", "coordinates": [8, 49]}, "body.geometry"),
        ({"coordinates": [8, 49]}, "body.geometry"),
    ],
)
def test_wrong_geometry_is_refused_and_changes_nothing(
    database: Database, people: People, world: World, geometry: dict, field: str
) -> None:
    before = snapshot(database)
    data = ObjectCreate(municipality="a-stadt", type="tree", name="x", geometry=geometry)
    with pytest.raises(ValidationFailed) as caught:
        database.write(lambda s: objects.create_object(s, principal=people.staff_a, data=data))
    assert caught.value.errors[0].field == field
    assert snapshot(database) == before


def test_unknown_type_and_municipality_are_named(database: Database, people: People) -> None:
    for values, field in (
        ({"type": "unicorn"}, "body.type"),
        ({"municipality": "nowhere"}, "body.municipality"),
    ):
        data = ObjectCreate(
            **{
                "municipality": "a-stadt",
                "type": "tree",
                "name": "x",
                "geometry": point(8.6, 49.4),
                **values,
            }
        )
        with pytest.raises(ValidationFailed) as caught:
            database.write(
                lambda s, data=data: objects.create_object(s, principal=people.admin, data=data)
            )
        assert caught.value.errors[0].field == field


def test_updates_are_recorded_in_the_history(
    database: Database, people: People, world: World
) -> None:
    change = ObjectUpdate(
        name="Linde am Markt", attributes={"species_de": "Winter-Linde", "planting_year": 1991}
    )
    database.write(
        lambda s: objects.update_object(
            s, principal=people.staff_a, object_id=world.tree, data=change
        )
    )
    with database.session() as session:
        entries = objects.history(session, principal=people.staff_a, object_id=world.tree)
    latest = entries[0]
    assert latest.kind == "updated"
    assert latest.actor == "staff-a@example.org"
    assert latest.changes["name"] == ["Winter-Linde A-1", "Linde am Markt"]
    assert latest.changes["attributes.planting_year"] == [1990, 1991]
    assert latest.changes["attributes.risk_class"] == ["low", None]
    assert [e.kind for e in entries][-1] == "created"
    with database.session() as session, pytest.raises(NotFound):
        objects.history(session, principal=people.citizen, object_id=world.tree)


def test_parents_stay_in_the_municipality_and_never_loop(
    database: Database, people: People, world: World
) -> None:
    loop = ObjectUpdate(parent_id=world.device)
    with pytest.raises(ValidationFailed, match="ancestor"):
        database.write(
            lambda s: objects.update_object(
                s, principal=people.staff_a, object_id=world.playground, data=loop
            )
        )
    foreign = ObjectUpdate(parent_id=world.bench_b)
    with pytest.raises(ValidationFailed) as caught:
        database.write(
            lambda s: objects.update_object(
                s, principal=people.staff_a, object_id=world.device, data=foreign
            )
        )
    assert caught.value.errors[0].field == "body.parent_id"


def test_sensor_things_are_linked_by_id(
    database: Database, region: Region, people: People, world: World
) -> None:
    def things(session: Session) -> list[int]:
        return [
            sensing.create_thing(session, municipality_id=m, name=f"T{m}", lon=8.6, lat=49.4)
            for m in (region.municipality_a, region.municipality_a, region.municipality_b)
        ]

    own, own_too, foreign = database.write(things)
    change = ObjectUpdate(thing_ids=[own_too, own])
    database.write(
        lambda s: objects.update_object(
            s, principal=people.staff_a, object_id=world.tree, data=change
        )
    )
    with database.session() as session:
        assert objects.thing_ids(session, [world.tree])[world.tree] == sorted([own, own_too])
        read = objects.read_one(
            session,
            people.anonymous,
            objects.get_object(session, principal=people.anonymous, object_id=world.tree),
        )
    assert read.thing_ids is None and read.notes is None  # internal fields stay internal
    assert "risk_class" not in read.attributes  # an internal attribute of trees
    before = snapshot(database)
    for wrong in (foreign, 2**63 - 1):  # another municipality's, or none at all: one answer
        with pytest.raises(ValidationFailed) as caught:
            database.write(
                lambda s, wrong=wrong: objects.update_object(
                    s,
                    principal=people.staff_a,
                    object_id=world.tree,
                    data=ObjectUpdate(thing_ids=[own, wrong]),
                )
            )
        [error] = caught.value.errors
        assert (error.field, error.reason) == (
            "body.thing_ids",
            f"no Thing {wrong} in this municipality",
        )
    create = ObjectCreate(
        municipality="a-stadt",
        type="bench",
        name="x",
        geometry=point(8.6, 49.4),
        thing_ids=[foreign],
    )
    with pytest.raises(ValidationFailed):
        database.write(lambda s: objects.create_object(s, principal=people.staff_a, data=create))
    assert snapshot(database) == before


def test_identifiers_are_unique_per_type(database: Database, people: People, world: World) -> None:
    data = ObjectCreate(
        municipality="a-stadt", type="tree", name="dup", identifier="A-1", geometry=point(8.6, 49.4)
    )
    with pytest.raises(Conflict):
        database.write(lambda s: objects.create_object(s, principal=people.staff_a, data=data))


def test_tenancy_of_objects(database: Database, people: People, world: World) -> None:
    f = objects.ObjectFilter()
    with database.session() as session:
        seen_a = {
            o.name
            for o, _ in objects.list_objects(
                session, principal=people.staff_a, f=f, limit=100, offset=0
            )[0]
        }
        seen_public = {
            o.name
            for o, _ in objects.list_objects(
                session, principal=people.anonymous, f=f, limit=100, offset=0
            )[0]
        }
        with pytest.raises(NotFound):
            objects.get_object(session, principal=people.staff_a, object_id=world.tree_b_internal)
    assert "Bank intern" in seen_a and "Eiche B intern" not in seen_a
    assert "Bank intern" not in seen_public and "Bank B" in seen_public
    with pytest.raises(Forbidden):
        database.write(
            lambda s: objects.update_object(
                s, principal=people.staff_b, object_id=world.tree, data=ObjectUpdate(name="x")
            )
        )
    with pytest.raises(Unauthorized):
        database.write(
            lambda s: objects.update_object(
                s, principal=people.anonymous, object_id=world.tree, data=ObjectUpdate(name="x")
            )
        )


# --- through the API ------------------------------------------------------------------------


def test_api_creates_reads_and_filters(client: TestClient, region: Region, world: World) -> None:
    headers = bearer(region.key_admin)
    created = client.post(
        "/api/assets/objects",
        json={
            "municipality": "a-stadt",
            "type": "bench",
            "name": "Neue Bank",
            "geometry": point(8.655, 49.455),
            "attributes": {"seats": 3, "backrest": True},
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["geometry"] == point(8.655, 49.455) and body["attributes"]["seats"] == 3
    listed = client.get(
        "/api/assets/objects", params={"bbox": "8.65,49.45,8.66,49.46", "type": "bench"}
    ).json()
    assert [o["name"] for o in listed["items"]] == ["Neue Bank"]
    children = client.get("/api/assets/objects", params={"parent": world.playground}).json()
    assert [o["name"] for o in children["items"]] == ["Schaukel"]
    assert client.get(f"/api/assets/objects/{world.bench_internal}").status_code == 404
    assert client.get(f"/api/assets/objects/{2**63 - 1}").status_code == 404


def test_api_refusals_name_the_field_and_change_nothing(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    headers = staff_client(client, region.staff_a_email)
    before = snapshot(database)
    base = {"municipality": "a-stadt", "type": "tree", "name": "x", "geometry": point(8.6, 49.4)}
    cases = [
        (
            {**base, "geometry": {"type": "LineString", "coordinates": [[8.6, 49.4]]}},
            422,
            "body.geometry",
        ),
        ({**base, "type": "dragon"}, 422, "body.type"),
        ({**base, "attributes": {"planting_year": "old"}}, 422, "body.attributes.planting_year"),
        ({**base, "attributes": {"height_m": -1}}, 422, "body.attributes.height_m"),
        ({**base, "municipality": "b-dorf"}, 403, None),
    ]
    for body, status, field in cases:
        response = client.post("/api/assets/objects", json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        if field:
            assert response.json()["errors"][0]["field"] == field
    patched = client.patch(
        f"/api/assets/objects/{world.tree_b_internal}", json={"name": "x"}, headers=headers
    )
    assert patched.status_code == 404  # B's internal object does not exist for staff of A
    assert snapshot(database) == before
    assert count(database, Change) == before["assets_history"]


def test_history_api_is_for_staff_of_the_municipality(
    client: TestClient, region: Region, world: World
) -> None:
    assert client.get(f"/api/assets/objects/{world.tree}/history").status_code == 404
    staff_client(client, region.staff_a_email)
    history = client.get(f"/api/assets/objects/{world.tree}/history")
    assert history.status_code == 200
    assert history.json()[0]["kind"] == "created"
