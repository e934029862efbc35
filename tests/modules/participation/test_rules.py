"""Phase and area rules: outside the area or outside the phase a contribution is refused with a
clear message, and nothing is written. The area check gives the same answer on SQLite and
PostGIS as shapely does."""

from __future__ import annotations

from datetime import timedelta

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, mapping

from allmende.core.errors import Conflict, Unauthorized, ValidationFailed
from allmende.core.timeutil import utcnow
from allmende.modules.participation import contributions
from allmende.modules.participation.models import Contribution
from allmende.modules.participation.schemas import ContributionCreate, PhaseIn
from allmende.modules.participation.service import Participant
from allmende.storage.database import Database
from tests.conftest import ResetDatabase
from tests.modules.participation.conftest import (
    AREA,
    INSIDE,
    OUTSIDE,
    MakeProcess,
    People,
    anonymous,
    count,
    timeline,
)

pytestmark = pytest.mark.integration


def _contribute(database: Database, participant: Participant, process_id: int, **values):  # type: ignore[no-untyped-def]
    data = ContributionCreate(title="Bäume", text="Mehr Schatten", category="Grün", **values)
    return database.write(
        lambda s: contributions.create_contribution(
            s, participant=participant, process_id=process_id, data=data
        )
    )


def test_inside_the_area_and_the_phase_is_accepted(database: Database, process_id: int) -> None:
    created = _contribute(database, anonymous(), process_id, geometry=INSIDE)
    assert created.geometry == INSIDE
    assert count(database, Contribution) == 1


def test_without_a_location_is_accepted(database: Database, process_id: int) -> None:
    created = _contribute(database, anonymous(), process_id, place="Am Brunnen")
    assert created.geometry is None and created.place == "Am Brunnen"


def test_outside_the_area_is_refused_and_nothing_is_written(
    database: Database, process_id: int
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _contribute(database, anonymous(), process_id, geometry=OUTSIDE)
    assert refused.value.errors[0].field == "body.geometry"
    assert "outside the area" in refused.value.errors[0].reason
    assert count(database, Contribution) == 0


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "LineString", "coordinates": [[8.64, 49.44], [8.68, 49.44]]},  # leaves the area
        {
            "type": "Polygon",
            "coordinates": [
                [[8.65, 49.45], [8.67, 49.45], [8.67, 49.47], [8.65, 49.47], [8.65, 49.45]]
            ],
        },
        {"type": "Point", "coordinates": [8.60, 49.40]},
    ],
)
def test_shapes_reaching_outside_are_refused(
    database: Database, process_id: int, geometry: dict
) -> None:
    with pytest.raises(ValidationFailed):
        _contribute(database, anonymous(), process_id, geometry=geometry)
    assert count(database, Contribution) == 0


def test_lines_and_areas_inside_are_accepted(database: Database, process_id: int) -> None:
    line = {"type": "LineString", "coordinates": [[8.63, 49.43], [8.65, 49.45]]}
    area = mapping(Point(8.64, 49.44).buffer(0.005))
    assert _contribute(database, anonymous(), process_id, geometry=line).geometry == line
    assert _contribute(database, anonymous(), process_id, geometry=area).geometry is not None


def test_other_geometry_types_are_refused(database: Database, process_id: int) -> None:
    multi = {"type": "MultiPoint", "coordinates": [[8.64, 49.44]]}
    with pytest.raises(ValidationFailed) as refused:
        _contribute(database, anonymous(), process_id, geometry=multi)
    assert refused.value.errors[0].field == "body.geometry"


def test_outside_the_phase_is_refused_naming_the_phase(
    database: Database, make_process: MakeProcess
) -> None:
    process_id = make_process(phases=timeline(("comment",)))
    with pytest.raises(Conflict) as refused:
        _contribute(database, anonymous(), process_id, geometry=INSIDE)
    assert refused.value.errors[0].field == "phase"
    assert "“Ideas” does not allow this: add contributions" in str(refused.value)
    assert count(database, Contribution) == 0


def test_before_the_start_and_after_the_end_nothing_can_be_added(
    database: Database, make_process: MakeProcess
) -> None:
    upcoming = make_process(phases=timeline(offset_days=100))
    ended = make_process(phases=timeline(offset_days=-100))
    with pytest.raises(Conflict) as early:
        _contribute(database, anonymous(), upcoming)
    assert "No phase of the process is running now" in str(early.value)
    with pytest.raises(Conflict) as late:
        _contribute(database, anonymous(), ended)
    assert "has ended" in str(late.value)
    assert count(database, Contribution) == 0


def test_a_gap_between_phases_allows_nothing(database: Database, make_process: MakeProcess) -> None:
    now = utcnow()
    gap = [
        PhaseIn(
            title="A",
            starts_at=now - timedelta(days=5),
            ends_at=now - timedelta(days=1),
            allows=["contribute"],
        ),
        PhaseIn(
            title="B",
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=5),
            allows=["contribute"],
        ),
    ]
    process_id = make_process(phases=gap)
    with pytest.raises(Conflict):
        _contribute(database, anonymous(), process_id)


def test_anonymous_only_where_the_process_allows_it(
    database: Database, make_process: MakeProcess, people: People
) -> None:
    process_id = make_process(allow_anonymous=False)
    with pytest.raises(Unauthorized):
        _contribute(database, anonymous(), process_id)
    created = _contribute(database, Participant(people.citizen), process_id)
    assert created.id


def test_the_category_must_be_one_of_the_process(database: Database, process_id: int) -> None:
    data = ContributionCreate(title="x", text="y", category="Unbekannt")
    with pytest.raises(ValidationFailed) as refused:
        database.write(
            lambda s: contributions.create_contribution(
                s, participant=anonymous(), process_id=process_id, data=data
            )
        )
    assert refused.value.errors[0].field == "body.category"


def test_without_an_area_the_municipality_is_the_limit(
    database: Database, make_process: MakeProcess
) -> None:
    process_id = make_process(area=None)
    in_a = {"type": "Point", "coordinates": [8.69, 49.49]}
    in_b = {"type": "Point", "coordinates": [8.75, 49.45]}
    assert _contribute(database, anonymous(), process_id, geometry=in_a).id
    with pytest.raises(ValidationFailed):
        _contribute(database, anonymous(), process_id, geometry=in_b)


coordinates = st.tuples(
    st.floats(min_value=8.60, max_value=8.68, allow_nan=False),
    st.floats(min_value=49.40, max_value=49.48, allow_nan=False),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(point=coordinates)
def test_the_area_check_agrees_with_shapely(
    database: Database, reset_database: ResetDatabase, process_id: int, point: tuple[float, float]
) -> None:
    """The same answer on SQLite (shapely functions) and PostGIS as shapely's contains."""
    reset_database()
    geometry = {"type": "Point", "coordinates": list(point)}
    expected = bool(shapely.contains(AREA, Point(point)))
    try:
        _contribute(database, anonymous(), process_id, geometry=geometry)
        accepted = True
    except ValidationFailed:
        accepted = False
    assert accepted == expected
