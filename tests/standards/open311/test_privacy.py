"""No GET ever shows personal data (e-mail, phone, names, device id, account id): the
report's submitter is known to staff, not to the public. Checked over every GET endpoint in
both formats, with and without the extensions."""

from __future__ import annotations

import pytest

from allmende.storage.database import Database
from tests.standards.open311.support import V2, A, post
from tests.support.client import TestClient
from tests.support.region import Region

pytestmark = pytest.mark.integration

PERSONAL = {
    "email": "geheim.melderin@example.org",
    "phone": "+49-6221-987654",
    "first_name": "Vorname-Geheim",
    "last_name": "Nachname-Geheim",
    "device_id": "device-geheim-42",
    "account_id": "account-geheim-42",
}


def test_no_get_shows_personal_data(client: TestClient, region: Region, database: Database) -> None:
    realtime = post(client, region.key_open311, service_code="pothole", **PERSONAL)
    batch = post(client, region.key_open311, service_code="bulky-waste", **PERSONAL)
    assert realtime.status_code == batch.status_code == 200
    request_id = realtime.json()[0]["service_request_id"]
    token = batch.json()[0]["token"]
    paths = [
        "/open311/discovery",
        f"{V2}/discovery",
        f"{V2}/services",
        f"{V2}/services/pothole",
        f"{V2}/requests",
        f"{V2}/requests/{request_id}",
        f"{V2}/tokens/{token}",
    ]
    read = 0
    for path in paths:
        for fmt in ("json", "xml"):
            for extra in ("", "&extensions=true"):
                response = client.get(f"{path}.{fmt}?jurisdiction_id={A}{extra}")
                assert response.status_code == 200, (path, response.text)
                for value in PERSONAL.values():
                    assert value not in response.text, (path, fmt, value)
                read += 1
    assert read == len(paths) * 4
    # The provider did store them (for staff), so the absence above is not an accident.
    listed = client.get(f"{V2}/requests.json?jurisdiction_id={A}&extensions=true").json()
    assert {r["service_request_id"] for r in listed} >= {request_id}
    for field in ("email", "phone", "first_name", "last_name", "device_id", "account_id"):
        assert all(field not in r or r[field] is None for r in listed)
