"""Registry: enabling, dependency order and the errors that stop a wrong configuration."""

from __future__ import annotations

import pytest

from allmende.core.errors import ConfigurationError
from allmende.core.registry import ModuleSpec, Registry, discover

pytestmark = pytest.mark.unit

BASE = ModuleSpec(key="base", title="Base")
USER = ModuleSpec(key="user", title="User", requires=("base",))
OTHER = ModuleSpec(key="other", title="Other")


def test_dependencies_come_first() -> None:
    assert Registry.build([USER, BASE, OTHER]).keys == ["base", "user", "other"]


def test_enable_and_disable() -> None:
    assert Registry.build([BASE, OTHER], enabled=["other"]).keys == ["other"]
    assert Registry.build([BASE, OTHER], disabled=["base"]).keys == ["other"]


def test_missing_requirement_is_named() -> None:
    with pytest.raises(ConfigurationError, match="'user' requires 'base'"):
        Registry.build([BASE, USER], disabled=["base"])


def test_unknown_module_in_settings() -> None:
    with pytest.raises(ConfigurationError, match="unknown modules: nope"):
        Registry.build([BASE], enabled=["nope"])


def test_duplicate_and_bad_keys() -> None:
    with pytest.raises(ConfigurationError, match="twice"):
        Registry.build([BASE, BASE])
    with pytest.raises(ConfigurationError, match="lower-case"):
        Registry.build([ModuleSpec(key="Bad-Key", title="x")])


def test_cycles_are_refused() -> None:
    a = ModuleSpec(key="aa", title="a", requires=("bb",))
    b = ModuleSpec(key="bb", title="b", requires=("aa",))
    with pytest.raises(ConfigurationError, match="cycle"):
        Registry.build([a, b])


def test_the_built_in_modules_come_through_their_entry_points_in_a_stable_order() -> None:
    found = discover()
    own = [m.key for m in found if m.origin == "builtin"]
    assert own == ["assets", "energy", "heat", "participation", "sensors", "water"]
    assert Registry.build(found, enabled=own).keys == [
        "assets",
        "sensors",
        "energy",
        "heat",
        "participation",
        "water",
    ]
