"""``create_app(settings)``: assembles the kernel, the enabled modules and the web shell."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from allmende import __version__, delivery, identity, sensing
from allmende.core.errors import AllmendeError
from allmende.core.events import EventBus
from allmende.core.metrics import OBSERVATIONS_STORED
from allmende.core.registry import JobSpec, Registry, discover
from allmende.core.settings import Mode, Settings, load_settings
from allmende.delivery import dispatch, mailer
from allmende.http.adapters import Adapter, discover_adapters
from allmende.http.auth import current_principal
from allmende.http.cache import ReadCache
from allmende.http.context import AppContext
from allmende.http.i18n import KERNEL_DOMAIN, Catalogs
from allmende.http.jsonbody import JsonDepthMiddleware
from allmende.http.links import ProxyHeadersMiddleware
from allmende.http.middleware import RequestContextMiddleware
from allmende.http.openapi import install_openapi
from allmende.http.problems import ErrorFormats, install_error_handlers
from allmende.http.read_slots import ReadSlots
from allmende.http.routing import install_prefix_guard
from allmende.http.templating import Templates
from allmende.identity.oidc import OidcVerifier
from allmende.sensing import actuation
from allmende.sensing.service import OBSERVATIONS_CREATED
from allmende.storage.database import Database
from allmende.storage.migrate import pending_heads
from allmende.storage.scheduler import Scheduler
from allmende.web import (
    LOCALE,
    STATIC,
    TEMPLATES,
    account,
    admin,
    health,
    identity_api,
    metrics,
    notifications,
    shell,
    signup,
    webhooks_api,
)
from allmende.web.errors import html_error
from allmende.web.mail import MailTemplates

#: The standards' wire formats (entry points ``allmende.standards``), mounted before the modules.
ADAPTERS: tuple[Adapter, ...] = discover_adapters()
log = logging.getLogger(__name__)
#: Migrations of the kernel's own tables and the adapters', before those of the modules.
KERNEL_MIGRATIONS: tuple[Path, ...] = (
    identity.MIGRATIONS,
    delivery.MIGRATIONS,
    sensing.MIGRATIONS,
    *(a.migrations for a in ADAPTERS if a.migrations is not None),
)
BODY_SLACK_BYTES = 1024 * 1024
#: The kernel's own jobs, scheduled next to the modules'.
KERNEL_JOBS: tuple[JobSpec, ...] = (actuation.JOB, dispatch.JOB)
#: The catalogue of the kernel's sensing vocabulary (labels of the kinds of measurement).
SENSING_DOMAIN = "sensing"


def load_registry(settings: Settings) -> Registry:
    return Registry.build(discover(), enabled=settings.modules, disabled=settings.disabled_modules)


def migration_locations(registry: Registry) -> list[Path]:
    return [*KERNEL_MIGRATIONS, *registry.migration_locations()]


def open_database(settings: Settings, bus: EventBus | None = None) -> Database:
    return Database(
        settings.database_url,
        bus=bus,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        pool_size=settings.db_pool_size,
    )


def _freeze_the_start() -> None:
    """What is alive once the first application of the process has started (modules, routes,
    templates, mappers) lives as long as the process: the collector's full passes leave it
    out from then on, instead of walking all of it each time (a pause of tens of
    milliseconds, every few large requests). Once per process. A process that starts
    many applications (the tests) keeps it off (``gc_freeze``): its heap is mostly theirs,
    and the collector, with almost nothing counted as long-lived, would walk it far more often."""
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()


def create_app(
    settings: Settings | None = None,
    *,
    registry: Registry | None = None,
    database: Database | None = None,
) -> FastAPI:
    settings = settings or load_settings()
    settings.check_safe()
    registry = registry if registry is not None else load_registry(settings)
    owns_database = database is None
    database = database or open_database(settings)
    locations = migration_locations(registry)

    def readiness() -> str | None:
        try:
            database.ping()
            missing = pending_heads(settings.database_url, locations, database.engine)
        except Exception as exc:
            return f"database unreachable: {type(exc).__name__}"
        return f"migrations not applied: {', '.join(sorted(missing))}" if missing else None

    template_folders = [
        TEMPLATES,
        *(a.templates for a in ADAPTERS if a.templates),
        *(m.templates for m in registry if m.templates),
    ]
    context = AppContext(
        settings=settings,
        registry=registry,
        database=database,
        bus=database.bus,
        catalogs=Catalogs.load(
            [
                (KERNEL_DOMAIN, LOCALE),
                (SENSING_DOMAIN, sensing.LOCALE),
                *((a.key, a.locale) for a in ADAPTERS if a.locale),
                *((m.key, m.locale) for m in registry if m.locale),
            ],
            languages=settings.languages,
            default=settings.default_language,
        ),
        templates=Templates(template_folders, reload=settings.mode is not Mode.PRODUCTION),
        oidc=OidcVerifier(
            issuer=settings.oidc_issuer,
            audience=settings.oidc_audience,
            jwks_url=settings.oidc_jwks_url,
        )
        if settings.oidc_issuer
        else None,
    )
    context.readiness = readiness
    database.bus.subscribe(
        OBSERVATIONS_CREATED, lambda event: OBSERVATIONS_STORED.inc(len(event.payload["rows"]))
    )
    data_version = context.data_version
    context.attach(data_version)  # for adapters that keep answers while the data holds
    for adapter in ADAPTERS:
        if adapter.setup is not None:
            adapter.setup(context)

    mail_templates = MailTemplates(template_folders, context.catalogs)
    context.attach(mail_templates)
    scheduler = Scheduler(
        [*KERNEL_JOBS, *mailer.jobs(mail_templates), *(job for m in registry for job in m.jobs)],
        database,
        settings,
        feature_sources=[source for m in registry for source in m.feature_sources],
    )
    if settings.is_production and not settings.smtp_host:
        log.warning("no smtp_host: e-mails stay in the outbox at /admin/outbox")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.run_jobs:
            scheduler.start()
        started: list[Adapter] = []
        try:
            for adapter in ADAPTERS:
                if adapter.start is not None:
                    await adapter.start(context)
                    started.append(adapter)
            if settings.gc_freeze:
                _freeze_the_start()
            yield
        finally:
            for adapter in reversed(started):
                if adapter.stop is not None:
                    await adapter.stop(context)
            scheduler.stop()
            await asyncio.to_thread(context.rate_limits.close)
            data_version.close()
        if owns_database:
            database.close()

    app = FastAPI(
        title=f"Allmende – {settings.region_name}",
        version=__version__,
        description="Open data and services of the region: the kernel's API and every module's.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=_operation_id,
        # Every request's credentials are checked, also on public endpoints: a wrong key is
        # an error the caller must hear about, not a silent fall-back to anonymous.
        dependencies=[Depends(current_principal)],
    )
    app.state.allmende = context
    install_prefix_guard()
    formats = ErrorFormats(
        by_prefix=[(a.prefix, a.render_error) for a in ADAPTERS], html=html_error
    )
    install_error_handlers(app, formats)
    install_openapi(app, [a.errors for a in ADAPTERS if a.errors is not None])

    # The standards first, SensorThings first of them: each route passed costs matching time,
    # and sensors send a request per Observation. Their prefixes are their own.
    for adapter in sorted(ADAPTERS, key=lambda a: a.key != "sensorthings"):
        app.include_router(adapter.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(identity_api.router)
    app.include_router(webhooks_api.router)
    app.include_router(notifications.router)
    app.include_router(notifications.pages)
    app.include_router(signup.router)
    app.include_router(account.router)
    app.include_router(admin.router)
    for module in registry:
        if module.router is not None:
            app.include_router(module.router)
        if module.pages is not None:
            app.include_router(module.pages)
        if module.static is not None:
            app.mount(f"/static/{module.key}", StaticFiles(directory=module.static))
    app.include_router(shell.router)
    app.mount("/static/allmende", StaticFiles(directory=STATIC), name="static")
    app.mount(
        "/static/vendor/leaflet",
        StaticFiles(directory=xstatic.pkg.leaflet.BASE_DIR),
        name="leaflet",
    )
    app.mount(
        "/static/vendor/leaflet-markercluster",
        StaticFiles(directory=xstatic.pkg.leaflet_markercluster.BASE_DIR),
        name="leaflet-markercluster",
    )

    app.router.routes[0:0] = [route for adapter in ADAPTERS for route in adapter.first_routes]

    def render(request: Request, error: AllmendeError) -> Response:
        return formats.renderer(request)(request, error)

    app.add_middleware(
        JsonDepthMiddleware,
        render=render,
        nul_refused_by=tuple(a.prefix for a in ADAPTERS if a.refuses_nul_itself),
    )
    app.add_middleware(ReadSlots, slots=settings.read_slots)
    app.add_middleware(ReadCache, version=data_version, seconds=settings.read_cache_seconds)
    app.add_middleware(
        RequestContextMiddleware,
        tile_origin=settings.basemap.origin,
        max_body_bytes=settings.upload_max_bytes + BODY_SLACK_BYTES,
        render=render,
        allowed_hosts=settings.allowed_hosts,
        hsts_max_age=settings.hsts_max_age_seconds,
    )
    app.add_middleware(ProxyHeadersMiddleware, trusted=settings.trusted_proxies)
    return app


def _operation_id(route: APIRoute) -> str:
    return route.operation_id or route.name
