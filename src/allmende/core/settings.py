"""Settings from ``ALLMENDE_*`` environment variables or a TOML file.

Every field is documented in docs/configuration.md (a test keeps the two in step).
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import secrets
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from allmende.core.basemap import BaseMap, resolve
from allmende.core.errors import ConfigurationError

#: Placeholder shipped in examples; refused like an empty key outside dev and demo mode.
DEFAULT_SECRET_KEY = "change-me"  # noqa: S105 - a placeholder that is refused, not a secret
MIN_SECRET_KEY_LENGTH = 32
#: Randomness a secret key must show, estimated from how its characters vary (a random key of
#: 32 hex digits shows about 95 bits, of 43 URL-safe characters about 200).
MIN_SECRET_KEY_BITS = 80
HOST_PATTERN = re.compile(r"^(\*\.)?[A-Za-z0-9][A-Za-z0-9.-]{0,252}$")
GENERATE_KEY = 'generate one with `python -c "import secrets; print(secrets.token_urlsafe(48))"`'
CONFIG_FILE_VARIABLE = "ALLMENDE_CONFIG"


class Mode(StrEnum):
    PRODUCTION = "production"
    DEV = "dev"
    DEMO = "demo"


class Settings(BaseSettings):
    """How one Allmende installation is run."""

    model_config = SettingsConfigDict(
        env_prefix="ALLMENDE_",
        extra="forbid",
        validate_default=True,
        env_nested_delimiter="__",
    )

    mode: Mode = Field(
        default=Mode.PRODUCTION,
        description="production, dev or demo. Only dev and demo accept a missing secret key.",
    )
    database_url: str = Field(
        default="sqlite:///allmende.sqlite3",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user:pw@host/db.",
    )
    secret_key: str = Field(
        default="",
        description="Signs sessions and CSRF tokens. At least 32 characters outside dev/demo.",
    )
    base_url: str | None = Field(
        default=None,
        description="Public URL of the installation (https://daten.example.de/allmende). "
        "When set, every absolute link is built from it instead of the request.",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names the installation answers to ('daten.example.de', "
        "'*.example.de'); requests naming another host get 400. Empty: any host. "
        "Production needs this or base_url.",
    )
    hsts_max_age_seconds: int = Field(
        default=365 * 24 * 3600,
        ge=0,
        description="Strict-Transport-Security max-age sent with https answers; 0 sends none.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=lambda: ["127.0.0.1"],
        description="Proxies whose Forwarded/X-Forwarded-* headers are believed; '*' for all.",
    )
    region_name: str = Field(
        default="Allmende", description="Name of the region shown in the web shell."
    )
    operator_name: str = Field(
        default="", description="Who runs the installation (imprint, accessibility statement)."
    )
    operator_email: str = Field(
        default="", description="Contact address for the imprint and accessibility feedback."
    )
    default_language: str = Field(default="de", description="Language when the browser names none.")
    languages: list[str] = Field(
        default_factory=lambda: ["de", "en"], description="Languages offered in the web shell."
    )
    modules: list[str] | None = Field(
        default=None,
        description="Keys of the modules to enable; unset enables every installed module.",
    )
    disabled_modules: list[str] = Field(
        default_factory=list, description="Keys of installed modules to leave off."
    )
    participation_min_form_seconds: int = Field(
        default=3,
        ge=0,
        description="Taking part without an account: a form sent sooner than this after it was "
        "shown is refused (scripts post at once, people read and type).",
    )
    session_max_age_seconds: int = Field(
        default=8 * 3600, gt=0, description="How long a web login lasts before signing in again."
    )
    login_attempts_per_address: int = Field(
        default=30,
        gt=0,
        description="Sign-in attempts per client address and 15 minutes (each account also "
        "backs off after five failures).",
    )
    cookie_secure: bool | None = Field(
        default=None,
        description="Mark cookies Secure. Unset: on when base_url or the request is https.",
    )
    oidc_issuer: str | None = Field(
        default=None, description="OpenID Connect issuer whose bearer tokens are accepted."
    )
    oidc_audience: str | None = Field(
        default=None, description="Expected 'aud' claim of OIDC bearer tokens."
    )
    oidc_jwks_url: str | None = Field(
        default=None, description="JWKS URL; unset: read from the issuer's discovery document."
    )
    oidc_email_claim: str = Field(
        default="email", description="Claim that names the local user of an OIDC token."
    )
    map_preset: Literal["osm", "basemapde-color", "basemapde-grey", "none"] = Field(
        default="osm",
        description="Background map of every map: osm, basemapde-color, basemapde-grey (the "
        "official German basemap.de Web Raster) or none; the map_* settings below override it.",
    )
    map_tile_url: str | None = Field(
        default=None,
        description="Background tiles: an XYZ or WMTS-REST template ({z} {x} {y}, {s} for "
        "subdomains), or a WMS URL with map_tile_kind=wms. Unset: the preset's; empty: none.",
    )
    map_tile_attribution: str | None = Field(
        default=None,
        description="Attribution shown on maps for the background tiles. Unset: the preset's.",
    )
    map_max_zoom: int | None = Field(
        default=None, ge=1, le=24, description="Deepest zoom of the tiles. Unset: the preset's."
    )
    map_tile_kind: Literal["xyz", "wms"] = Field(
        default="xyz", description="xyz (XYZ and WMTS-REST templates) or wms."
    )
    map_tile_subdomains: str = Field(
        default="abc", max_length=20, description="Letters that replace {s} in the tile URL."
    )
    map_wms_layers: str = Field(
        default="", description="WMS: the layers to request (comma-separated)."
    )
    geocoder_url: str | None = Field(
        default=None,
        description="Address search for the report form: the search URL of a Photon- or "
        "Nominatim-compatible geocoder (e.g. https://photon.example.org/api). Unset: the "
        "region's own street and object names are searched.",
    )
    geocoder_kind: Literal["photon", "nominatim"] = Field(
        default="photon", description="The answer format of geocoder_url: photon or nominatim."
    )
    catalog_license: str = Field(
        default="http://dcat-ap.de/def/licenses/dl-by-de/2.0",
        description="Open-data catalogue: the licence of every dataset that staff have not "
        "given another (a URI of the dcat-ap.de licence list).",
    )
    catalog_contributor_id: str | None = Field(
        default=None,
        description="Open-data catalogue: the contributor id GovData assigned "
        "(http://dcat-ap.de/def/contributors/…), set as dcatde:contributorID on every dataset.",
    )
    catalog_page_size: int = Field(
        default=100, gt=0, le=1000, description="Open-data catalogue: datasets per page."
    )
    run_jobs: bool = Field(
        default=True,
        description="Run the modules' scheduled jobs in this process (off for API-only nodes).",
    )
    gc_freeze: bool = Field(
        default=True,
        description="Leave what is alive once the process has started out of the garbage "
        "collector's full passes (off where one process starts many applications, as tests do).",
    )
    log_level: str = Field(default="INFO", description="Python logging level.")
    metrics_allowed_networks: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) that may read /metrics without a credential.",
    )
    log_format: str = Field(default="json", description="json (one object a line) or text.")
    upload_max_bytes: int = Field(
        default=10 * 1024 * 1024, gt=0, description="Largest accepted upload (photos, documents)."
    )
    data_dir: Path = Field(default=Path("allmende-data"), description="Folder for uploaded files.")
    sqlite_busy_timeout_ms: int = Field(
        default=5000, ge=0, description="How long an SQLite reader waits on a lock."
    )
    read_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long an anonymous GET's answer is served from memory while the data is "
        "unchanged (pages, SensorThings and JSON reads); 0 switches the read cache off.",
    )
    read_slots: int = Field(
        default=1,
        ge=0,
        description="Reads (GETs the read cache did not answer) a worker computes at once; the "
        "others queue in order. Raise it for a database far away on the network; 0: no queue.",
    )
    db_pool_size: int = Field(default=10, gt=0, description="Connections per process (PostgreSQL).")
    observation_duplicates: str = Field(
        default="reject",
        description="A second Observation of a Datastream at the same phenomenonTime: "
        "'reject' (409) or 'ignore' (idempotent: the existing one is the answer).",
    )
    sensorthings_default_top: int = Field(
        default=100, gt=0, description="SensorThings: entities per page when $top is not given."
    )
    sensorthings_max_top: int = Field(
        default=10000, gt=0, description="SensorThings: the largest $top honoured."
    )
    sensorthings_max_expand_depth: int = Field(
        default=5,
        gt=0,
        description="SensorThings: the most navigation properties nested in one $expand "
        "(deeper is refused with 400 before the query runs).",
    )
    sensorthings_max_expands: int = Field(
        default=20,
        gt=0,
        description="SensorThings: the most navigation properties one request expands, all "
        "levels together (more is refused with 400 before the query runs).",
    )
    sensorthings_max_entities: int = Field(
        default=50_000,
        gt=0,
        description="SensorThings: the most entities one answer holds, an expanded entity "
        "counted each time it appears (more is refused with 400).",
    )
    sensorthings_max_response_bytes: int = Field(
        default=25_000_000,
        gt=0,
        description="SensorThings: the largest answer in bytes (larger is refused with 400).",
    )
    sensorthings_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="SensorThings: how long one read (or one batch) may take before it is "
        "stopped and answered 503 with Retry-After.",
    )
    mqtt_mode: Literal["embedded", "external", "off"] = Field(
        default="embedded",
        description="SensorThings MQTT: 'embedded' (a broker in this process), 'external' "
        "(connect to Mosquitto, EMQX…) or 'off'.",
    )
    mqtt_host: str = Field(
        default="127.0.0.1",
        description="MQTT: the embedded broker's bind address, or the external broker's host.",
    )
    mqtt_port: int = Field(default=1883, ge=0, le=65535, description="MQTT: the broker's port.")
    mqtt_username: SecretStr | None = Field(
        default=None, description="MQTT: Allmende's own user name at an external broker."
    )
    mqtt_password: SecretStr | None = Field(
        default=None, description="MQTT: Allmende's own password at an external broker."
    )
    mqtt_client_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="MQTT: the external broker's client ids are '<this>-<worker slot>' "
        "(default allmende-<host name>); set a fixed one where the host name changes with "
        "every start (containers), so a restarted worker resumes its session.",
    )
    mqtt_batch_max: int = Field(
        default=1000, gt=0, description="MQTT: most published Observations stored per transaction."
    )
    mqtt_batch_ms: int = Field(
        default=20,
        ge=0,
        description="MQTT: how long published Observations wait for others to share a transaction.",
    )
    mqtt_notify_backlog: int = Field(
        default=100_000,
        gt=0,
        description="MQTT: most changed entities whose notifications wait to be sent; the "
        "notifications of changes beyond are dropped and counted (a bulk import outruns "
        "any broker).",
    )

    tasking_ack_timeout_seconds: int = Field(
        default=60,
        gt=0,
        description="Tasking: how long a device has to acknowledge a Task before it is sent "
        "again (doubled after each attempt, at most an hour).",
    )
    tasking_max_attempts: int = Field(
        default=4,
        ge=1,
        description="Tasking: how often a Task is sent before it is marked failed.",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=60,
        description="Webhooks: how long one delivery may take (connect, send, answer).",
    )
    webhook_max_age_seconds: int = Field(
        default=24 * 3600,
        gt=0,
        description="Webhooks: how long a failing delivery is retried before it is failed.",
    )
    webhook_allow_private_targets: bool | None = Field(
        default=None,
        description="Webhooks: allow URLs on loopback and private networks. Unset: refused in "
        "production (they reach the server's own network), allowed in dev and demo.",
    )

    smtp_host: str | None = Field(
        default=None,
        description="Mail: the SMTP server that sends Allmende's e-mails. Unset: no mail leaves "
        "the installation; every message lands on the administrators' outbox page instead.",
    )
    smtp_port: int = Field(
        default=587, ge=1, le=65535, description="Mail: the SMTP server's port (465 with tls)."
    )
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="Mail: 'starttls' (plain connection upgraded to TLS, port 587), 'tls' "
        "(TLS from the start, port 465) or 'none' (only to a relay on the same host).",
    )
    smtp_username: str | None = Field(
        default=None, description="Mail: user name at the SMTP server (unset: no login)."
    )
    smtp_password: SecretStr | None = Field(
        default=None, description="Mail: password at the SMTP server."
    )
    smtp_ca_file: Path | None = Field(
        default=None,
        description="Mail: CA certificates that the SMTP server's certificate is checked "
        "against (a relay with an internal CA); unset: the system's.",
    )
    smtp_timeout_seconds: float = Field(
        default=30.0, gt=0, le=300, description="Mail: how long one SMTP conversation may take."
    )
    mail_from: str = Field(
        default="",
        description="Mail: the sender, e.g. 'Stadt Beispiel <noreply@beispiel.de>'. Unset: "
        "the region's name with noreply@ and the host of base_url.",
    )
    mail_max_age_seconds: int = Field(
        default=2 * 24 * 3600,
        gt=0,
        description="Mail: how long a mail the server does not take is tried again before it "
        "is failed.",
    )
    mail_digest_hour: int = Field(
        default=7,
        ge=0,
        le=23,
        description="Mail: the hour (region time) after which the daily digests go out.",
    )
    mail_keep_days: int = Field(
        default=30, gt=0, description="Mail: how long sent and failed mails stay in the queue."
    )

    @field_validator("default_language")
    @classmethod
    def _language_known(cls, value: str) -> str:
        if value not in ("de", "en"):
            raise ValueError("must be 'de' or 'en'")
        return value

    @field_validator("metrics_allowed_networks")
    @classmethod
    def _networks_valid(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an address or a network (10.0.0.0/8)") from None
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format_known(cls, value: str) -> str:
        if value not in ("json", "text"):
            raise ValueError("must be 'json' or 'text'")
        return value

    @field_validator("observation_duplicates")
    @classmethod
    def _duplicates_known(cls, value: str) -> str:
        if value not in ("reject", "ignore"):
            raise ValueError("must be 'reject' or 'ignore'")
        return value

    @field_validator("mail_from")
    @classmethod
    def _sender_is_an_address(cls, value: str) -> str:
        if value and "@" not in value:
            raise ValueError("must be an e-mail address, e.g. 'Name <noreply@example.de>'")
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts_are_names(cls, value: list[str]) -> list[str]:
        for host in value:
            if not HOST_PATTERN.match(host):
                raise ValueError(f"{host!r} is no host name (no scheme, port or path; '*.' prefix)")
        return [host.lower() for host in value]

    @field_validator("base_url")
    @classmethod
    def _base_url_absolute(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(CONFIG_FILE_VARIABLE)
        if config_file:
            path = Path(config_file)
            if not path.is_file():
                raise ConfigurationError(f"{CONFIG_FILE_VARIABLE}: no file at {path}")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def basemap(self) -> BaseMap:
        """The background map the preset and the map_* settings give."""
        return resolve(
            self.map_preset,
            url=self.map_tile_url,
            attribution=self.map_tile_attribution,
            max_zoom=self.map_max_zoom,
            kind=self.map_tile_kind,
            subdomains=self.map_tile_subdomains,
            wms_layers=self.map_wms_layers,
        )

    @property
    def is_production(self) -> bool:
        return self.mode is Mode.PRODUCTION

    @property
    def signing_key(self) -> str:
        """The secret key, or in dev/demo mode without one a random key for this process."""
        if self.secret_key:
            return self.secret_key
        if self.is_production:
            raise ConfigurationError("ALLMENDE_SECRET_KEY is not set.")
        return _process_key()

    def check_safe(self) -> None:
        """Refuse to run production with a weak secret key, or with links built from any Host."""
        if not self.is_production:
            return
        problem = secret_key_problem(self.secret_key)
        if problem is not None:
            raise ConfigurationError(f"ALLMENDE_SECRET_KEY {problem}; {GENERATE_KEY}.")
        if not self.base_url and not self.allowed_hosts:
            raise ConfigurationError(
                "Production needs ALLMENDE_BASE_URL (or ALLMENDE_ALLOWED_HOSTS): without "
                "either, absolute links would name whatever host a client puts in its Host header."
            )


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` is no secret key for production, or ``None``."""
    if not key:
        return "is not set; production refuses to run without one"
    if key == DEFAULT_SECRET_KEY:
        return f"is still the placeholder {DEFAULT_SECRET_KEY!r} of the examples"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"has {len(key)} characters; at least {MIN_SECRET_KEY_LENGTH} are needed"
    for period in range(1, len(key) // 2 + 1):
        if key == (key[:period] * (len(key) // period + 1))[: len(key)]:
            return f"repeats the same {period} character(s) over and over"
    counts = Counter(key).values()
    bits = -sum(n * math.log2(n / len(key)) for n in counts)
    if bits < MIN_SECRET_KEY_BITS:
        return (
            f"is too predictable: its characters vary like about {bits:.0f} random bits, "
            f"at least {MIN_SECRET_KEY_BITS} are needed"
        )
    return None


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment and the TOML file, with explicit overrides on top."""
    return Settings(**overrides)


_PROCESS_KEY: list[str] = []


def _process_key() -> str:
    if not _PROCESS_KEY:
        _PROCESS_KEY.append(secrets.token_urlsafe(48))
    return _PROCESS_KEY[0]
