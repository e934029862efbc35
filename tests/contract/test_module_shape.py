"""Every module in the registry has the one shape of docs/modules.md, and the check fails for a
module that breaks it.

The example module is installed through its entry point (see tests/support/example_module.py),
which proves that outside packages register exactly like built-in ones.
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest
from fastapi import APIRouter

from allmende.core.registry import ModuleSpec, Registry, discover
from allmende.storage.base import Base
from tests.contract.shape import problems

pytestmark = pytest.mark.unit

MODULES = Registry.build(discover()).modules
EXAMPLE = Path(__file__).resolve().parents[2] / "examples/allmende-example-notices/src"


def _package(module: ModuleSpec) -> str:
    endpoint_module: str = module.router.routes[0].endpoint.__module__
    name = endpoint_module
    while not hasattr(importlib.import_module(name), "MODULE"):
        name = name.rsplit(".", 1)[0]
    return name


def _folder(package: str) -> Path:
    return Path(importlib.import_module(package).__file__ or "").parent


def test_the_example_module_is_found_through_its_entry_point() -> None:
    keys = {m.key: m for m in MODULES}
    assert "notices" in keys
    assert keys["notices"].origin.startswith("entry point")


@pytest.mark.parametrize("module", MODULES, ids=[m.key for m in MODULES])
def test_module_files_keep_their_roles(module: ModuleSpec) -> None:
    package = _package(module)
    assert problems(_folder(package), module.key, package) == []


@pytest.mark.parametrize("module", MODULES, ids=[m.key for m in MODULES])
def test_module_spec_points_into_the_package(module: ModuleSpec) -> None:
    folder = _folder(_package(module))
    assert isinstance(module.router, APIRouter)
    assert all(r.path.startswith(f"/api/{module.key}") for r in module.router.routes)
    if module.pages is not None:
        assert isinstance(module.pages, APIRouter)
    if module.migrations is not None:
        assert module.migrations == folder / "migrations"
        assert module.migrations.is_dir()
    if module.templates is not None:
        assert (module.templates / module.key).is_dir(), "templates live in <templates>/<key>/"
    assert module.title and module.description


@pytest.mark.parametrize("module", MODULES, ids=[m.key for m in MODULES])
def test_the_mapped_tables_are_those_of_models(module: ModuleSpec) -> None:
    """What SQLAlchemy maps agrees with what the source check reads: every table of the
    package is mapped from a ``models`` file and carries the key."""
    package = _package(module)
    tables = {
        mapper.local_table.name: mapper.class_.__module__
        for mapper in Base.registry.mappers
        if mapper.class_.__module__.startswith(f"{package}.")
    }
    assert tables, f"{module.key} maps no tables"
    assert {name for name in tables if not name.startswith(f"{module.key}_")} == set()
    assert {source for source in tables.values() if not source.endswith(".models")} == set()


# -- the check itself fails for a module that breaks the shape --------------------------------


@pytest.fixture
def notices(tmp_path: Path) -> Path:
    """A copy of the example module to break."""
    folder = tmp_path / "allmende_notices"
    shutil.copytree(EXAMPLE / "allmende_notices", folder)
    return folder


def _check(folder: Path) -> list[str]:
    return problems(folder, "notices", "allmende_notices")


def test_the_example_module_has_the_shape(notices: Path) -> None:
    assert _check(notices) == []


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


BREAKS = {
    "sql in a page": (
        lambda f: _append(f / "pages.py", "\n\ndef peek(session):\n    return session.scalar(1)\n"),
        "pages.py: line",
        "runs SQL (.scalar())",
    ),
    "a statement built in the api": (
        lambda f: _append(f / "api.py", "\n\nfrom sqlalchemy import select\nQ = select(1)\n"),
        "api.py: line",
        "runs SQL (select())",
    ),
    "http in a service": (
        lambda f: _append(f / "service.py", "\nfrom starlette.requests import Request\n"),
        "service.py: imports starlette.requests",
        "only api, pages and web know HTTP",
    ),
    "a table without the key": (
        lambda f: (f / "models.py").write_text(
            (f / "models.py").read_text().replace('"notices_', '"board_', 1)
        ),
        "models.py: table 'board_",
        "is not named notices_*",
    ),
    "a table outside models": (
        lambda f: _append(
            f / "service.py",
            "\n\nclass Extra(Base):\n    __tablename__ = 'notices_extra'\n",
        ),
        "service.py: defines table 'notices_extra'",
        "outside models.py",
    ),
    "no service": (lambda f: (f / "service.py").unlink(), "lacks service.py", ""),
    "no api": (lambda f: (f / "api.py").unlink(), "lacks api.py", ""),
    "rules in __init__": (
        lambda f: _append(f / "__init__.py", "\n\ndef helper():\n    return 1\n"),
        "__init__.py: defines helper",
        "an __init__ only wires",
    ),
    "a kernel import": (
        lambda f: _append(f / "service.py", "\nimport allmende.storage.database\n"),
        "service.py: imports allmende.storage.database",
        "only allmende.sdk",
    ),
    "a sub-domain without a service": (
        lambda f: (f / "boards").mkdir() or (f / "boards" / "__init__.py").write_text(""),
        "boards/: lacks service.py",
        "",
    ),
}


@pytest.mark.parametrize("name", BREAKS)
def test_a_module_that_breaks_the_shape_fails(notices: Path, name: str) -> None:
    breaking, where, why = BREAKS[name]
    breaking(notices)
    [problem] = _check(notices)
    assert problem.startswith(where), problem
    assert why in problem
