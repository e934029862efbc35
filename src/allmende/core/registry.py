"""The module registry: which modules this installation runs and what each contributes.

Every module, built-in or from an outside package, registers its :class:`ModuleSpec` through
the entry point group ``allmende.modules`` (Allmende's own in its ``pyproject.toml``), as the
standards adapters do through ``allmende.standards``. Settings choose which are enabled. Layers
above read the registry; nothing below it knows any module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Protocol, TypeVar

from allmende.core.datasets import DatasetSource
from allmende.core.errors import ConfigurationError
from allmende.core.features import FeatureSource
from allmende.core.open311 import Open311Provider

T = TypeVar("T")
ENTRY_POINT_GROUP = "allmende.modules"
MODULE_KEY = re.compile(r"^[a-z][a-z0-9_]{1,30}$")

#: The distribution whose entry points are the built-in modules.
OWN_DISTRIBUTION = "allmende"


@dataclass(frozen=True)
class NavItem:
    """An entry in the web shell's navigation. ``label`` is English and translated by gettext."""

    label: str
    path: str
    staff_only: bool = False


@dataclass(frozen=True)
class JobSpec:
    """A scheduled computation: ``run(context)`` every ``every_seconds``.

    ``context`` is an :class:`allmende.storage.scheduler.JobContext` (database, settings, bus,
    now). With several worker processes only one runs a job at a time, and a job never runs
    twice at once.

    ``wake_on`` names events (``sensing.observations.created``, a module's domain events...):
    when one is published in this process, the job runs promptly as well, at most once a
    second. The periodic run stays the safety net (for events of other processes and after a
    restart), so a job must find its work in the database, not in the event.
    """

    name: str
    every_seconds: float
    run: Callable[[Any], None]
    wake_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModuleSpec:
    """What a module contributes. Every field but ``key`` and ``title`` is optional.

    ``router`` and ``pages`` are FastAPI routers (JSON under ``/api/<key>`` and HTML pages);
    the kernel keeps them untyped so it needs no web framework. ``feature_sources``,
    ``open311_services`` and ``datasets`` are what the module offers to OGC API - Features,
    Open311 and the open-data catalogue (see :mod:`allmende.core.datasets`).
    """

    key: str
    title: str
    description: str = ""
    version: str = "0"
    requires: tuple[str, ...] = ()
    router: Any = None
    pages: Any = None
    templates: Path | None = None
    static: Path | None = None
    locale: Path | None = None
    nav: tuple[NavItem, ...] = ()
    scopes: tuple[str, ...] = ()
    migrations: Path | None = None
    feature_sources: tuple[FeatureSource, ...] = ()
    open311_services: tuple[Open311Provider, ...] = ()
    datasets: tuple[DatasetSource, ...] = ()
    jobs: tuple[JobSpec, ...] = ()
    demo: Callable[[Any], None] | None = None
    #: ``erase_account(session, user_id, email)``: remove the module's copies of a person's
    #: data before their account is deleted, in the same transaction (records stay,
    #: anonymised: names, contact details and the link to the account go).
    erase_account: Callable[[Any, int, str], None] | None = None
    #: A ``typer.Typer`` mounted as ``allmende <key> …`` (untyped: the kernel needs no CLI
    #: library); its commands find a :class:`CommandContext` in ``typer.Context.obj``.
    commands: Any = None
    origin: str = field(default="builtin", compare=False)


class CommandContext(Protocol):
    """What a module's commands work on: the installation the settings describe, opened on
    first use. ``read`` runs ``fn(session)`` in a read-only session, ``write`` in one write
    transaction."""

    @property
    def registry(self) -> Registry: ...

    def read(self, fn: Callable[[Any], T]) -> T: ...

    def write(self, fn: Callable[[Any], T]) -> T: ...


@dataclass
class Registry:
    """The enabled modules, in dependency order."""

    modules: list[ModuleSpec] = field(default_factory=list)

    def __iter__(self) -> Iterator[ModuleSpec]:
        return iter(self.modules)

    def __len__(self) -> int:
        return len(self.modules)

    def __contains__(self, key: object) -> bool:
        return any(m.key == key for m in self.modules)

    def get(self, key: str) -> ModuleSpec:
        for module in self.modules:
            if module.key == key:
                return module
        raise KeyError(key)

    @property
    def keys(self) -> list[str]:
        return [m.key for m in self.modules]

    def migration_locations(self) -> list[Path]:
        return [m.migrations for m in self.modules if m.migrations is not None]

    def scopes(self) -> set[str]:
        return {scope for m in self.modules for scope in m.scopes}

    @classmethod
    def build(
        cls,
        available: Sequence[ModuleSpec],
        *,
        enabled: Sequence[str] | None = None,
        disabled: Sequence[str] = (),
    ) -> Registry:
        """Choose the enabled modules from ``available`` and order them by ``requires``."""
        by_key: dict[str, ModuleSpec] = {}
        for module in available:
            if not MODULE_KEY.match(module.key):
                raise ConfigurationError(f"module key {module.key!r} is not a lower-case name")
            if module.key in by_key:
                raise ConfigurationError(
                    f"module {module.key!r} is registered twice "
                    f"({by_key[module.key].origin} and {module.origin})"
                )
            by_key[module.key] = module
        unknown = [k for k in (*(enabled or ()), *disabled) if k not in by_key]
        if unknown:
            raise ConfigurationError(f"settings name unknown modules: {', '.join(unknown)}")
        chosen = [k for k in by_key if (enabled is None or k in enabled) and k not in disabled]
        ordered: list[ModuleSpec] = []
        visiting: set[str] = set()

        def visit(key: str, wanted_by: str | None) -> None:
            if any(m.key == key for m in ordered):
                return
            if key not in by_key or key not in chosen:
                raise ConfigurationError(
                    f"module {wanted_by!r} requires {key!r}, which is not installed or not enabled"
                )
            if key in visiting:
                raise ConfigurationError(f"modules require each other in a cycle through {key!r}")
            visiting.add(key)
            for required in by_key[key].requires:
                visit(required, key)
            visiting.discard(key)
            ordered.append(by_key[key])

        for key in chosen:
            visit(key, None)
        return cls(ordered)


def discover() -> list[ModuleSpec]:
    """Every installed module: Allmende's own by name, then those of outside packages by name
    (the registry then puts each after those it requires). None of Allmende's own means the
    package's metadata is stale (installed before the entry points existed): reinstall it."""
    own: list[EntryPoint] = []
    outside: list[EntryPoint] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else ""
        (own if dist == OWN_DISTRIBUTION else outside).append(ep)
    if not own:
        raise ConfigurationError(
            f"no built-in modules are installed (entry point group {ENTRY_POINT_GROUP!r}): "
            "reinstall Allmende (pip install -e .) so that its metadata names them"
        )
    found = []
    for ep in [*sorted(own, key=lambda e: e.name), *sorted(outside, key=lambda e: e.name)]:
        spec = ep.load()
        if not isinstance(spec, ModuleSpec):
            raise ConfigurationError(f"entry point {ep.name!r} is not a ModuleSpec")
        found.append(_with_origin(spec, "builtin" if ep in own else f"entry point {ep.value}"))
    return found


def _with_origin(spec: ModuleSpec, origin: str) -> ModuleSpec:
    from dataclasses import replace

    return replace(spec, origin=origin)
