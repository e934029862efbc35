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


@pytest.mark.parametrize("key", ["", "change-me", "too-short"])
def test_production_refuses_weak_secret_keys(key: str) -> None:
    with pytest.raises(ConfigurationError):
        Settings(mode=Mode.PRODUCTION, secret_key=key).check_safe()


def test_dev_and_demo_run_without_a_key() -> None:
    for mode in (Mode.DEV, Mode.DEMO):
        settings = Settings(mode=mode)
        settings.check_safe()
        assert len(settings.signing_key) >= 32


def test_production_with_a_strong_key() -> None:
    Settings(mode=Mode.PRODUCTION, secret_key="x" * 40).check_safe()


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
