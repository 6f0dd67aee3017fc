"""The settings refuse unsafe production setups; the CLI speaks one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run("-m", "cspbilling.cli", *args, env=env)


SETUP = "import django; django.setup(); print('started')"


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({}, "CSPBILLING_SECRET_KEY must be set"),
        ({"CSPBILLING_SECRET_KEY": "x" * 50, "CSPBILLING_DEBUG": "true"}, "DEBUG must be off"),
    ],
)
def test_production_refuses_unsafe_settings(env, complaint):
    done = run(
        "-c",
        SETUP,
        env={
            "CSPBILLING_ENV": "production",
            "DJANGO_SETTINGS_MODULE": "cspbilling.settings",
            "CSPBILLING_SECRET_KEY": "",
            **env,
        },
    )
    assert done.returncode != 0
    assert complaint in done.stderr
    assert "started" not in done.stdout


def test_production_starts_with_safe_settings():
    done = run(
        "-c",
        SETUP,
        env={
            "CSPBILLING_ENV": "production",
            "DJANGO_SETTINGS_MODULE": "cspbilling.settings",
            "CSPBILLING_SECRET_KEY": "k" * 50,
            "CSPBILLING_DEBUG": "false",
        },
    )
    assert done.returncode == 0, done.stderr
    assert "started" in done.stdout


def test_a_malformed_setting_is_named():
    done = cli("sync", "--help", env={"CSPBILLING_LOGIN_LOCKOUT_THRESHOLD": "five"})
    assert done.returncode != 0
    assert "CSPBILLING_LOGIN_LOCKOUT_THRESHOLD='five' is not an integer" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.django_db
def test_the_database_connection_is_configured_for_its_engine():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert cursor.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        else:
            cursor.execute("SHOW server_version_num")
            assert int(cursor.fetchone()[0]) >= 130000
            assert connection.settings_dict["CONN_MAX_AGE"] > 0


def test_help_lists_every_command():
    done = cli("--help")
    assert done.returncode == 0
    for command in ("demo", "serve", "worker", "sandbox", "sync", "migrate", "createuser"):
        assert f"  {command} " in done.stdout


@pytest.mark.parametrize("command", ["demo", "serve", "worker", "sandbox", "sync", "createuser"])
def test_each_command_has_help(command):
    done = cli(command, "--help")
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


def test_unknown_command_is_refused():
    done = cli("invoice-everyone")
    assert done.returncode == 2
    assert "unknown command 'invoice-everyone'" in done.stderr


def test_an_unreachable_partner_center_is_one_clear_line(tmp_path):
    env = {
        "CSPBILLING_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "CSPBILLING_PC_BASE_URL": "http://127.0.0.1:9",  # the discard port: nothing listens
        "CSPBILLING_PC_SANDBOX_TOKEN": "sandbox-token",
        "CSPBILLING_PC_MAX_RETRIES": "1",
        "CSPBILLING_PC_TIMEOUT": "2",
    }
    assert cli("migrate", "--verbosity", "0", env=env).returncode == 0
    done = cli("sync", "--quiet", env=env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Partner Center" in lines[0], done.stderr
    debug = cli("--debug", "sync", "--quiet", env=env)
    assert debug.returncode != 0 and "Traceback" in debug.stderr
