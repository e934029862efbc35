"""Alembic, driven from code: every package and module brings its own branch of migrations.

The application passes the list of migration folders (the kernel's and each enabled module's);
``upgrade`` applies every branch to its head. ``create_all`` is for tests only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from sqlalchemy import Engine

from allmende.storage.database import make_engine, normalise_url

ENVIRONMENT = Path(__file__).with_name("alembic")


def alembic_config(url: str, locations: Sequence[Path]) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ENVIRONMENT))
    config.set_main_option("version_locations", " ".join(str(Path(p).resolve()) for p in locations))
    config.set_main_option("path_separator", "space")
    config.attributes["url"] = normalise_url(url).render_as_string(hide_password=False)
    return config


def upgrade(url: str, locations: Sequence[Path], *, engine: Engine | None = None) -> None:
    """Bring the schema to the head of every branch."""
    config = alembic_config(url, locations)
    own = engine is None
    engine = engine or make_engine(url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")
    finally:
        if own:
            engine.dispose()


def pending_heads(url: str, locations: Sequence[Path], engine: Engine) -> set[str]:
    """Heads not yet applied to the database (empty when the schema is current)."""
    script = ScriptDirectory.from_config(alembic_config(url, locations))
    with engine.connect() as connection:
        applied = set(MigrationContext.configure(connection).get_current_heads())
    reached: set[str] = set()
    for revision in applied:  # an applied head implies its ancestors and dependencies
        try:
            reached.update(r.revision for r in script.iterate_revisions(revision, "base"))
        except ResolutionError:  # the head of a module that is not enabled here
            continue
    return set(script.get_heads()) - reached
