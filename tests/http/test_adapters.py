"""Standards adapters register through entry points, like outside modules; their long-lived
objects hang on the app context by class."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from allmende.http.adapters import Adapter, discover_adapters
from allmende.http.context import AppContext
from allmende.standards.sensorthings import Api
from allmende.standards.sensorthings.mqtt import MqttService

pytestmark = pytest.mark.unit


def test_the_built_in_adapters_are_found_through_their_entry_points() -> None:
    adapters = discover_adapters()
    assert [a.key for a in adapters] == ["dcat", "ogcapi", "open311", "sensorthings"]
    assert all(isinstance(a, Adapter) for a in adapters)
    assert len({a.prefix for a in adapters}) == len(adapters)


def test_an_adapter_object_is_found_again_by_its_class(app: FastAPI) -> None:
    context: AppContext = app.state.allmende
    api = context.service(Api)
    assert isinstance(api, Api)
    assert context.find(MqttService) is None  # MQTT is off in the tests' settings
    with pytest.raises(LookupError, match="no MqttService"):
        context.service(MqttService)
