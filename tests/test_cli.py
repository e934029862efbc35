"""The command line against a real SQLite file, as an operator would use it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from allmende import __version__
from allmende.cli import app
from tests.support.demo_command import DemoCommand

pytestmark = pytest.mark.integration


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ALLMENDE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("ALLMENDE_MODE", "dev")
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, ok: bool = True):  # type: ignore[no-untyped-def]
        result = runner.invoke(app, list(args), input=input)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


def test_version(run) -> None:  # type: ignore[no-untyped-def]
    assert run("version").output.strip() == __version__


def test_operator_workflow(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "current" in run("db", "upgrade").output
    boundary = tmp_path / "grenze.geojson"
    boundary.write_text(
        json.dumps({"type": "Polygon", "coordinates": [[[8, 49], [8.1, 49], [8.1, 49.1], [8, 49]]]})
    )
    run(
        "municipalities",
        "add",
        "musterstadt",
        "Musterstadt",
        "--kind",
        "Stadt",
        "--ags",
        "08999999",
        "--boundary",
        str(boundary),
    )
    assert "Musterstadt" in run("municipalities", "list").output
    run(
        "users",
        "create",
        "chefin@example.org",
        "--name",
        "Chefin",
        "--role",
        "admin",
        input="geheim-geheim\ngeheim-geheim\n",
    )
    run(
        "users",
        "create",
        "amt@example.org",
        "--name",
        "Amt",
        "--role",
        "staff",
        "--municipality",
        "musterstadt",
        input="geheim-geheim\ngeheim-geheim\n",
    )
    listing = run("users", "list").output
    assert "chefin@example.org" in listing and "admin" in listing
    assert "musterstadt" in listing
    run("users", "set-role", "amt@example.org", "citizen")
    assert "citizen" in run("users", "list").output

    created = run(
        "apikeys",
        "create",
        "Wetterstation",
        "--scope",
        "sensorthings",
        "--municipality",
        "musterstadt",
    ).output
    key = created.strip().splitlines()[-1]
    assert key.startswith("alm_")
    listed = run("apikeys", "list").output
    assert "Wetterstation" in listed and key not in listed
    run("apikeys", "revoke", "1")
    assert "revoked" in run("apikeys", "list").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("municipalities", "add", "Bad Key", "X"), "lower-case"),
        (("users", "set-role", "nobody@example.org", "admin"), "No user"),
        (("apikeys", "create", "x", "--scope", "root"), "unknown: root"),
        (("apikeys", "revoke", "99"), "No API key 99"),
    ],
)
def test_errors_are_one_line_not_tracebacks(run, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    run("db", "upgrade")
    result = run(*args, ok=False)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ("users", "create", "a@example.org", "--name", "A", "--password-stdin"),
        ("users", "list"),
        ("users", "set-role", "a@example.org", "admin"),
        ("apikeys", "create", "x", "--scope", "sensorthings"),
        ("apikeys", "list"),
        ("apikeys", "revoke", "1"),
        ("municipalities", "add", "musterstadt", "Musterstadt"),
        ("municipalities", "list"),
        ("serve", "--no-migrate"),
    ],
    ids=lambda args: "-".join(args[:2]),
)
def test_commands_on_a_database_without_the_schema_say_what_to_do(
    run, args: tuple[str, ...]
) -> None:  # type: ignore[no-untyped-def]
    result = run(*args, ok=False, input="lang genug 123\n")
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "error: the database lacks Allmende's current schema; run `allmende db upgrade` first."
    )
    assert "Traceback" not in result.output


def test_serve_refuses_unsafe_production(run, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLMENDE_MODE", "production")
    result = run("serve", ok=False)
    assert result.exit_code == 1
    assert "ALLMENDE_SECRET_KEY" in result.output


def test_serve_refuses_workers_on_sqlite(run) -> None:  # type: ignore[no-untyped-def]
    result = run("serve", "--workers", "2", ok=False)
    assert "PostgreSQL" in result.output


def test_demo_builds_the_region(run, demo_command: DemoCommand) -> None:  # type: ignore[no-untyped-def]
    # The session's one run of `allmende demo --no-serve` (the browser tests serve its database).
    assert demo_command.exit_code == 0, demo_command.output
    output = demo_command.output
    assert "admin@demo.allmende.example" in output
    for place in ("Auenstadt", "Lindenbach", "Eichtal"):  # every municipality's staff login
        key = place.lower()
        assert f"staff@{key}.demo.allmende.example  password: allmende-demo ({place})" in output
    assert (demo_command.folder / "allmende-demo.sqlite3").exists()
    assert "notices" in run("modules", "list").output


def test_users_create_reads_the_password_from_stdin(run) -> None:  # type: ignore[no-untyped-def]
    run("db", "upgrade")
    created = run(
        "users",
        "create",
        "it@example.org",
        "--name",
        "IT",
        "--password-stdin",
        input="aus der Pipeline\n",
    )
    assert "Created it@example.org (citizen)" in created.output
    short = run(
        "users",
        "create",
        "kurz@example.org",
        "--name",
        "K",
        "--password-stdin",
        input="kurz\n",
        ok=False,
    )
    assert short.exit_code == 1 and "password: must have at least 8 characters" in short.output
