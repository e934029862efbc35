"""A small test region: municipalities A and B, one account per role, API keys."""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import box
from sqlalchemy.orm import Session

from allmende.identity import service
from allmende.identity.models import Role
from allmende.identity.principal import ANONYMOUS, Principal
from allmende.storage.database import Database

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Region:
    municipality_a: int
    municipality_b: int
    admin_email: str
    staff_a_email: str
    staff_b_email: str
    citizen_email: str
    key_sensorthings_a: str  # integrator bound to A, scope sensorthings
    key_admin: str  # scope admin
    key_open311: str  # unbound, scope open311


def build_region(session: Session) -> Region:
    a = service.create_municipality(
        session,
        key="a-stadt",
        name="A-Stadt",
        kind="Stadt",
        ags="08999101",
        jurisdiction_id="a-stadt.example",
        boundary=box(8.60, 49.40, 8.70, 49.50),
    )
    b = service.create_municipality(
        session,
        key="b-dorf",
        name="B-Dorf",
        ags="08999102",
        jurisdiction_id="b-dorf.example",
        boundary=box(8.70, 49.40, 8.80, 49.50),
    )
    service.create_user(
        session,
        email="admin@example.org",
        display_name="Admin",
        password=PASSWORD,
        is_admin=True,
    )
    for key, email in (("a-stadt", "staff-a@example.org"), ("b-dorf", "staff-b@example.org")):
        service.create_user(session, email=email, display_name=email, password=PASSWORD)
        service.set_role(session, email=email, role=Role.STAFF, municipality_key=key)
    service.create_user(
        session, email="citizen@example.org", display_name="Citizen", password=PASSWORD
    )
    return Region(
        municipality_a=a.id,
        municipality_b=b.id,
        admin_email="admin@example.org",
        staff_a_email="staff-a@example.org",
        staff_b_email="staff-b@example.org",
        citizen_email="citizen@example.org",
        key_sensorthings_a=service.create_api_key(
            session, name="sensors A", scopes=["sensorthings"], municipality_key="a-stadt"
        ).key,
        key_admin=service.create_api_key(session, name="admin key", scopes=["admin"]).key,
        key_open311=service.create_api_key(session, name="open311", scopes=["open311"]).key,
    )


@dataclass(frozen=True)
class People:
    """The test region's accounts as principals, one per role."""

    admin: Principal
    staff_a: Principal
    staff_b: Principal
    citizen: Principal
    anonymous: Principal = ANONYMOUS


def people_of(database: Database, region: Region) -> People:
    with database.session() as session:

        def of(email: str) -> Principal:
            return service.principal_for_user(service.user_by_email(session, email=email))

        return People(
            admin=of(region.admin_email),
            staff_a=of(region.staff_a_email),
            staff_b=of(region.staff_b_email),
            citizen=of(region.citizen_email),
        )
