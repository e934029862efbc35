"""The ``allmende`` command: serve, demo, database, users, API keys, municipalities, modules.

The application, the services and the migrations are imported by the commands that use them,
not with this module: ``serve --workers N`` starts each worker as a fresh interpreter that
imports this module before it can answer the supervisor's health check.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from sqlalchemy.exc import DBAPIError

from allmende import __version__
from allmende.core.errors import AllmendeError, ConfigurationError
from allmende.core.registry import Registry, discover
from allmende.core.settings import Mode, Settings, load_settings
from allmende.identity.models import Role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from allmende.storage.database import Database

app = typer.Typer(
    help="Allmende – open-source platform for smart cities and regions.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts and roles.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for machines (sensors, integrations).", no_args_is_help=True)
places_app = typer.Typer(help="Municipalities of the region.", no_args_is_help=True)
modules_app = typer.Typer(help="Installed modules.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="apikeys")
app.add_typer(places_app, name="municipalities")
app.add_typer(modules_app, name="modules")

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
DEMO_DATABASE = "allmende-demo.sqlite3"
LOOPBACK_OR_ANY = ("127.0.0.1", "0.0.0.0")  # noqa: S104 - names the address, binds nothing
NO_SCHEMA = "the database lacks Allmende's current schema; run `allmende db upgrade` first."


def friendly(fn: F) -> F:
    """Report our errors as one line on stderr with exit status 1, never as a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (AllmendeError, ConfigurationError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        except DBAPIError as exc:  # unreachable, refused, or a schema out of step
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            typer.echo(f"error: database: {reason}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _settings(**overrides: Any) -> Settings:
    try:
        return load_settings(**overrides)
    except ConfigurationError:
        raise
    except Exception as exc:  # pydantic's ValidationError: name the setting at fault
        raise ConfigurationError(f"settings: {exc}") from exc


def _migrate(settings: Settings) -> None:
    from allmende.app import load_registry, migration_locations
    from allmende.storage.migrate import upgrade

    upgrade(settings.database_url, migration_locations(load_registry(settings)))


def _require_schema(settings: Settings, database: Database) -> None:
    """Refuse to work on a database whose migrations are not all applied."""
    from allmende.app import load_registry, migration_locations
    from allmende.storage.migrate import pending_heads

    locations = migration_locations(load_registry(settings))
    if pending_heads(settings.database_url, locations, database.engine):
        raise ConfigurationError(NO_SCHEMA)


def _write(settings: Settings, fn: Callable[[Session], Any]) -> Any:
    from allmende.app import open_database

    database = open_database(settings)
    try:
        _require_schema(settings, database)
        return database.write(fn)
    finally:
        database.close()


def _read(settings: Settings, fn: Callable[[Session], Any]) -> Any:
    from allmende.app import open_database

    database = open_database(settings)
    try:
        _require_schema(settings, database)
        with database.session() as session:
            return fn(session)
    finally:
        database.close()


#: How long the supervisor waits for a worker's answer before it replaces the worker. A worker
#: imports the application before it answers; on a loaded machine that takes seconds
#: (uvicorn's default of 5 s lost workers at start-up).
WORKER_HEALTHCHECK_SECONDS = 60


def _run_server(settings: Settings, *, host: str, port: int, workers: int, app_object: Any) -> None:
    import uvicorn

    from allmende.core.logging import configure_logging, logging_config

    configure_logging(level=settings.log_level, fmt=settings.log_format)
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "proxy_headers": False,  # Allmende reads forwarded headers itself (trusted_proxies)
        # Applied again by uvicorn in every worker process, which inherits no logging.
        "log_config": logging_config(level=settings.log_level, fmt=settings.log_format),
        "access_log": False,
        "server_header": False,
    }
    if workers > 1:
        from allmende.http.workers import BALANCED_LOOP, listening_socket

        _metrics_across_workers()
        # A listening socket per worker (where the kernel spreads connections over them).
        shared = listening_socket(host, port)
        if shared is not None:
            common |= {"fd": shared.fileno(), "loop": BALANCED_LOOP}
        uvicorn.run(
            "allmende.app:create_app",
            factory=True,
            workers=workers,
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
            **common,
        )
    else:
        from allmende.app import create_app

        uvicorn.run(app_object or create_app(settings), **common)


def _metrics_across_workers() -> None:
    """Each worker writes its figures to one folder that /metrics adds up: the operator's
    ``PROMETHEUS_MULTIPROC_DIR`` (emptied, as the figures of a former start are stale) or a
    fresh temporary one. Set before the workers start, so each of them picks it up."""
    from allmende.core.metrics import MULTIPROCESS_VARIABLE

    configured = os.environ.get(MULTIPROCESS_VARIABLE)
    if configured:
        folder = Path(configured)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
    else:
        os.environ[MULTIPROCESS_VARIABLE] = tempfile.mkdtemp(prefix="allmende-metrics-")


@app.command()
@friendly
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (PostgreSQL only).")] = 1,
    migrate: Annotated[bool, typer.Option(help="Apply migrations before serving.")] = True,
) -> None:
    """Serve the installation configured by ALLMENDE_* variables or ALLMENDE_CONFIG."""
    settings = _settings()
    settings.check_safe()
    if workers > 1 and settings.database_url.startswith("sqlite"):
        raise ConfigurationError(
            "SQLite has one writer, so it is served by one process. "
            "Use PostgreSQL (ALLMENDE_DATABASE_URL) for several workers."
        )
    if migrate:
        _migrate(settings)
    else:
        _read(settings, lambda session: None)  # the schema must be current
    typer.echo(f"Allmende {__version__} on http://{host}:{port}/ ({settings.mode.value})")
    _run_server(settings, host=host, port=port, workers=workers, app_object=None)


@app.command()
@friendly
def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    database: Annotated[Path, typer.Option(help="SQLite file for the demo.")] = Path(DEMO_DATABASE),
    keep: Annotated[bool, typer.Option(help="Reuse an existing demo database.")] = False,
    serve: Annotated[bool, typer.Option(help="Serve after building the demo.")] = True,
) -> None:
    """Build the demo region in a fresh embedded database, then serve it."""
    from allmende.demo.region import REGION_NAME, build_region, demo_accounts

    url = f"sqlite:///{database.resolve()}"
    # People watch the demo's terminal: plain log lines unless asked otherwise.
    log_format = os.environ.get("ALLMENDE_LOG_FORMAT", "text")
    settings = _settings(
        mode=Mode.DEMO, database_url=url, region_name=REGION_NAME, log_format=log_format
    )
    from allmende.app import create_app, load_registry
    from allmende.core.timeutil import utcnow

    if not (keep and database.exists()):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        _migrate(settings)
        registry = load_registry(settings)
        notes = _write(settings, lambda s: build_region(s, registry=registry, now=utcnow()).notes)
        typer.echo(f"Built the demo region in {database}.")
        for note in notes:
            typer.echo(f"  {note}")
    typer.echo("")
    typer.echo(f"  Open   http://{'localhost' if host in LOOPBACK_OR_ANY else host}:{port}/")
    typer.echo("  Demo accounts:")
    for account in demo_accounts():
        place = f" ({account['municipality']})" if "municipality" in account else ""
        typer.echo(
            f"    {account['role']:<8} {account['email']}  password: {account['password']}{place}"
        )
    typer.echo("")
    if serve:
        application = create_app(settings)
        application.state.allmende.demo_accounts = demo_accounts()
        _run_server(settings, host=host, port=port, workers=1, app_object=application)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


# --- db ----------------------------------------------------------------------------------------


@db_app.command("upgrade")
@friendly
def db_upgrade() -> None:
    """Apply every pending migration (kernel and enabled modules)."""
    settings = _settings()
    _migrate(settings)
    typer.echo("Database schema is current.")


# --- backup and restore --------------------------------------------------------------------------


@app.command("backup")
@friendly
def backup_command(
    target: Annotated[
        Path | None,
        typer.Argument(help="Archive to write (.tar or .tar.gz). Default: a dated .tar.gz here."),
    ] = None,
) -> None:
    """Back up the database and the uploaded files while the installation runs."""
    from allmende.core.timeutil import utcnow
    from allmende.storage.backup import backup

    settings = _settings()
    if target is None:
        target = Path(f"allmende-backup-{utcnow().strftime('%Y%m%dT%H%M%SZ')}.tar.gz")
    manifest = backup(settings.database_url, settings.data_dir, target)
    typer.echo(f"Backed up the {manifest.backend} database and {manifest.files} files to {target}.")


@app.command("restore")
@friendly
def restore_command(
    source: Annotated[Path, typer.Argument(help="A backup written by `allmende backup`.")],
) -> None:
    """Restore a backup into an empty database and an empty data folder."""
    from allmende.app import load_registry, migration_locations
    from allmende.storage.backup import restore
    from allmende.storage.database import make_engine
    from allmende.storage.migrate import pending_heads

    settings = _settings()
    manifest = restore(source, settings.database_url, settings.data_dir)
    typer.echo(
        f"Restored the {manifest.backend} database of {manifest.created_at} "
        f"(Allmende {manifest.allmende}) and {manifest.files} files."
    )
    engine = make_engine(settings.database_url)
    try:
        pending = pending_heads(
            settings.database_url, migration_locations(load_registry(settings)), engine
        )
    finally:
        engine.dispose()
    if pending:
        typer.echo("The backup predates this version's schema: run `allmende db upgrade`.")


# --- users -------------------------------------------------------------------------------------


def _new_password(*, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    given = os.environ.get("ALLMENDE_NEW_PASSWORD")
    if given:
        return given
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("create")
@friendly
def users_create(
    email: str,
    name: Annotated[str, typer.Option(help="Display name.")],
    role: Annotated[Role, typer.Option(help="admin, staff or citizen.")] = Role.CITIZEN,
    municipality: Annotated[str | None, typer.Option(help="Municipality key (staff).")] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
    ] = False,
) -> None:
    """Create a user account. Asks for the password twice, unless it comes from stdin
    (--password-stdin) or from the variable ALLMENDE_NEW_PASSWORD."""
    from allmende.identity import service

    password = _new_password(from_stdin=password_stdin)
    password_hash = service.hashed_password(password)  # not in the write: it takes a while

    def create(session: Session) -> str:
        user = service.create_user(
            session,
            email=email,
            display_name=name,
            password_hash=password_hash,
            is_admin=role is Role.ADMIN,
        )
        if role is Role.STAFF:
            service.set_role(session, email=user.email, role=role, municipality_key=municipality)
        return user.email

    typer.echo(f"Created {_write(_settings(), create)} ({role.value}).")


@users_app.command("list")
@friendly
def users_list() -> None:
    """List user accounts."""
    from allmende.identity import service

    def rows(session: Session) -> list[str]:
        keys = {m.id: m.key for m in service.list_municipalities(session)}
        lines = []
        for user in service.list_users(session):
            staff = ",".join(sorted(keys[m.municipality_id] for m in user.memberships))
            role = "admin" if user.is_admin else ("staff" if staff else "citizen")
            state = "" if user.is_active else " (disabled)"
            lines.append(f"{user.id:>5}  {user.email:<40} {role:<8} {staff}{state}")
        return lines

    for line in _read(_settings(), rows):
        typer.echo(line)


@users_app.command("set-role")
@friendly
def users_set_role(
    email: str,
    role: Role,
    municipality: Annotated[str | None, typer.Option(help="Municipality key (staff).")] = None,
) -> None:
    """Make a user admin, staff of a municipality, or a citizen."""
    from allmende.identity import service

    _write(
        _settings(),
        lambda s: service.set_role(s, email=email, role=role, municipality_key=municipality),
    )
    where = f" of {municipality}" if municipality else ""
    typer.echo(f"{email} is now {role.value}{where}.")


# --- API keys ----------------------------------------------------------------------------------


@keys_app.command("create")
@friendly
def apikeys_create(
    name: str,
    scope: Annotated[list[str], typer.Option(help="Scope; repeat for several.")],
    municipality: Annotated[str | None, typer.Option(help="Bind to a municipality.")] = None,
    expires_days: Annotated[int | None, typer.Option(help="Expire after so many days.")] = None,
) -> None:
    """Create an API key and print it once."""
    from allmende.app import load_registry
    from allmende.core.timeutil import utcnow
    from allmende.identity import service

    settings = _settings()
    known = frozenset(service.BUILTIN_SCOPES | load_registry(settings).scopes())
    expires = utcnow() + timedelta(days=expires_days) if expires_days else None

    def create(session: Session) -> tuple[int, str]:
        created = service.create_api_key(
            session,
            name=name,
            scopes=scope,
            known_scopes=known,
            municipality_key=municipality,
            expires_at=expires,
        )
        return created.api_key.id, created.key

    key_id, key = _write(settings, create)
    typer.echo(
        f"API key {key_id} ({', '.join(sorted(set(scope)))}). Store it now; "
        "it cannot be shown again:"
    )
    typer.echo(key)


@keys_app.command("list")
@friendly
def apikeys_list() -> None:
    """List API keys (never their secrets)."""
    from allmende.core.timeutil import isoformat
    from allmende.identity import service

    def rows(session: Session) -> list[str]:
        lines = []
        for key in service.list_api_keys(session):
            state = (
                "revoked"
                if key.revoked_at
                else (f"expires {isoformat(key.expires_at)}" if key.expires_at else "active")
            )
            scopes = ",".join(key.scopes)
            lines.append(f"{key.id:>5}  alm_{key.prefix}_…  {key.name:<30} {scopes:<30} {state}")
        return lines

    for line in _read(_settings(), rows):
        typer.echo(line)


@keys_app.command("revoke")
@friendly
def apikeys_revoke(key_id: int) -> None:
    """Revoke an API key; it stops working at once."""
    from allmende.identity import service

    _write(_settings(), lambda s: service.revoke_api_key(s, key_id=key_id))
    typer.echo(f"API key {key_id} revoked.")


# --- municipalities ----------------------------------------------------------------------------


@places_app.command("add")
@friendly
def municipalities_add(
    key: str,
    name: str,
    kind: Annotated[
        str, typer.Option(help="Gemeinde, Stadt, Kreisstadt, Landkreis …")
    ] = "Gemeinde",
    ags: Annotated[str | None, typer.Option(help="Amtlicher Gemeindeschlüssel (8 digits).")] = None,
    jurisdiction: Annotated[str | None, typer.Option(help="Open311 jurisdiction id.")] = None,
    boundary: Annotated[Path | None, typer.Option(help="GeoJSON file with the boundary.")] = None,
) -> None:
    """Add a municipality to the region."""
    from allmende.core.geo import geometry_from_geojson
    from allmende.identity import service

    geom = None
    if boundary is not None:
        geom = geometry_from_geojson(json.loads(boundary.read_text()), field="boundary")

    def add(session: Session) -> None:
        service.create_municipality(
            session,
            key=key,
            name=name,
            kind=kind,
            ags=ags,
            jurisdiction_id=jurisdiction,
            boundary=geom,
        )

    _write(_settings(), add)
    typer.echo(f"Added {name} ({key}).")


@places_app.command("list")
@friendly
def municipalities_list() -> None:
    """List the municipalities of the region."""
    from allmende.identity import service

    for line in _read(
        _settings(),
        lambda s: [
            f"{m.key:<20} {m.name:<30} {m.kind:<20} {m.ags or ''}"
            for m in service.list_municipalities(s)
        ],
    ):
        typer.echo(line)


# --- modules -----------------------------------------------------------------------------------


@modules_app.command("list")
@friendly
def modules_list() -> None:
    """List the enabled modules."""
    from allmende.app import load_registry

    registry = load_registry(_settings())
    if not len(registry):
        typer.echo("No modules enabled.")
    for module in registry:
        requires = f" (requires {', '.join(module.requires)})" if module.requires else ""
        typer.echo(
            f"{module.key:<16} {module.version:<8} {module.title}{requires}  [{module.origin}]"
        )


# --- the modules' own commands -----------------------------------------------------------------


class Installation:
    """The :class:`~allmende.core.registry.CommandContext` of module commands."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._registry: Registry | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = _settings()
        return self._settings

    @property
    def registry(self) -> Registry:
        from allmende.app import load_registry

        if self._registry is None:
            self._registry = load_registry(self.settings)
        return self._registry

    def read(self, fn: Callable[[Session], T]) -> T:
        return _read(self.settings, fn)  # type: ignore[no-any-return]

    def write(self, fn: Callable[[Session], T]) -> T:
        return _write(self.settings, fn)  # type: ignore[no-any-return]


@app.callback()
def _installation(context: typer.Context) -> None:
    context.obj = Installation()


for _module in discover():
    if _module.commands is not None:
        app.add_typer(_module.commands, name=_module.key, help=_module.title)


def main() -> None:
    app(prog_name="allmende")
