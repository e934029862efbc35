"""Every module in the registry has the fixed shape (one test walks them all).

The example module is installed through its entry point (see tests/support/example_module.py),
which proves that outside packages register exactly like built-in ones.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from fastapi import APIRouter

from allmende.core.registry import ModuleSpec, Registry, discover

pytestmark = pytest.mark.unit

MODULES = Registry.build(discover()).modules
REQUIRED_FILES = ("__init__.py", "models.py", "schemas.py", "service.py", "api.py")


def _package(module: ModuleSpec):  # type: ignore[no-untyped-def]
    return importlib.import_module(module.router.routes[0].endpoint.__module__.rsplit(".", 1)[0])


def test_the_example_module_is_found_through_its_entry_point() -> None:
    keys = {m.key: m for m in MODULES}
    assert "notices" in keys
    assert keys["notices"].origin.startswith("entry point")


@pytest.mark.parametrize("module", MODULES, ids=[m.key for m in MODULES])
def test_module_shape(module: ModuleSpec) -> None:
    package = _package(module)
    folder = Path(package.__file__).parent
    for name in REQUIRED_FILES:
        assert (folder / name).is_file(), f"{module.key} lacks {name}"
    assert isinstance(module.router, APIRouter)
    assert all(r.path.startswith(f"/api/{module.key}") for r in module.router.routes)
    if module.pages is not None:
        assert isinstance(module.pages, APIRouter)
    if module.migrations is not None:
        assert module.migrations.is_dir()
        assert module.migrations == folder / "migrations"
    if module.templates is not None:
        assert (module.templates / module.key).is_dir(), "templates live in <templates>/<key>/"
    assert module.title and module.description


@pytest.mark.parametrize("module", MODULES, ids=[m.key for m in MODULES])
def test_tables_carry_the_module_key(module: ModuleSpec) -> None:
    package = _package(module)
    models = importlib.import_module(f"{package.__name__}.models")
    from allmende.storage.base import Base

    tables = [
        t
        for t in Base.metadata.tables.values()
        if any(
            getattr(c, "__module__", "").startswith(package.__name__) for c in _classes_for(t.name)
        )
    ]
    assert tables, f"{module.key} defines no tables in models.py"
    for table in tables:
        assert table.name.startswith(f"{module.key}_"), table.name
    assert models


def _classes_for(table_name: str) -> list[type]:
    from allmende.storage.base import Base

    return [m.class_ for m in Base.registry.mappers if m.local_table.name == table_name]


@pytest.mark.parametrize("module", MODULES, ids=[m.key for m in MODULES])
def test_modules_import_only_the_sdk(module: ModuleSpec) -> None:
    package = _package(module)
    folder = Path(package.__file__).parent
    for source in folder.rglob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.startswith(package.__name__):
                    continue  # its own files
                if name.startswith("allmende.") or name == "allmende":
                    assert name == "allmende.sdk", f"{source} imports {name}"
