"""Settings: environment, TOML file, and refusal of unsafe production configurations."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from allmende.core.errors import ConfigurationError
from allmende.core.settings import Mode, Settings

pytestmark = pytest.mark.unit


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLMENDE_REGION_NAME", "Landkreis Test")
    monkeypatch.setenv("ALLMENDE_TRUSTED_PROXIES", '["10.0.0.0/8"]')
    settings = Settings()
    assert settings.region_name == "Landkreis Test"
    assert settings.trusted_proxies == ["10.0.0.0/8"]


def test_toml_file_with_environment_on_top(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "allmende.toml"
    config.write_text('region_name = "Aus Datei"\nbase_url = "https://x.example/a/"\n')
    monkeypatch.setenv("ALLMENDE_CONFIG", str(config))
    assert Settings().region_name == "Aus Datei"
    assert Settings().base_url == "https://x.example/a"
    monkeypatch.setenv("ALLMENDE_REGION_NAME", "Aus Umgebung")
    assert Settings().region_name == "Aus Umgebung"


def test_missing_config_file_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLMENDE_CONFIG", "/nonexistent/allmende.toml")
    with pytest.raises(ConfigurationError):
        Settings()


def test_unknown_settings_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "allmende.toml"
    config.write_text('regoin_name = "Tippfehler"\n')
    monkeypatch.setenv("ALLMENDE_CONFIG", str(config))
    with pytest.raises(ValidationError):
        Settings()


STRONG = "q8Vd1xZ3kLm0Pw7-Rt5_uYb2Nc9sHj4EfGa6Ti"
BASE = "https://daten.example.de"


@pytest.mark.parametrize(
    ("key", "fault"),
    [
        ("", "ALLMENDE_SECRET_KEY is not set"),
        ("change-me", "ALLMENDE_SECRET_KEY is still the placeholder 'change-me'"),
        ("too-short", "ALLMENDE_SECRET_KEY has 9 characters; at least 32 are needed"),
        ("a" * 40, "repeats the same 1 character(s) over and over"),
        ("Sommerfest2026!" * 3, "repeats the same 15 character(s) over and over"),
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "is too predictable"),
        ("0101010101011010101010100101010110101010", "is too predictable"),
    ],
)
def test_production_refuses_weak_secret_keys(key: str, fault: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Settings(mode=Mode.PRODUCTION, secret_key=key, base_url=BASE).check_safe()
    assert fault in str(info.value)
    assert "secrets.token_urlsafe" in str(info.value)  # and how to make a good one


def test_dev_and_demo_run_without_a_key() -> None:
    for mode in (Mode.DEV, Mode.DEMO):
        settings = Settings(mode=mode)
        settings.check_safe()
        assert len(settings.signing_key) >= 32


@pytest.mark.parametrize(
    "key", [STRONG, "correct horse battery staple and more words", "0f" + "9c2b71e45ad8036f" * 2]
)
def test_production_with_a_strong_key(key: str) -> None:
    Settings(mode=Mode.PRODUCTION, secret_key=key, base_url=BASE).check_safe()
    Settings(mode=Mode.PRODUCTION, secret_key=key, allowed_hosts=["daten.example.de"]).check_safe()


def test_production_needs_a_base_url_or_allowed_hosts() -> None:
    with pytest.raises(ConfigurationError, match="ALLMENDE_BASE_URL"):
        Settings(mode=Mode.PRODUCTION, secret_key=STRONG).check_safe()


@pytest.mark.parametrize("host", ["https://x.example", "x.example:8000", "x.example/path", ""])
def test_allowed_hosts_are_host_names(host: str) -> None:
    with pytest.raises(ValidationError):
        Settings(allowed_hosts=[host])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("base_url", "daten.example.de"),
        ("default_language", "fr"),
        ("log_format", "xml"),
        ("session_max_age_seconds", 0),
    ],
)
def test_invalid_values_name_the_setting(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as info:
        Settings(**{field: value})
    assert field in str(info.value)
