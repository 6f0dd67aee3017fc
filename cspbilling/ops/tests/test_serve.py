"""`cspbilling serve` is a real server: started as a subprocess on a free port, asked over HTTP."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from cspbilling.accounts import services as account_services

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "Serve-Test-Password-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_count(pid: int, expected: int) -> int:
    """How many worker processes the server has once it has started `expected` of them (it
    answers as soon as the first is up), or after 20 s."""
    deadline = time.monotonic() + 20
    while True:
        count = len(Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
        if count == expected or time.monotonic() > deadline:
            return count
        time.sleep(0.1)


def group_is_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


class Server:
    def __init__(self, proc: subprocess.Popen, url: str, log: Path):
        self.proc, self.url, self.log = proc, url, log

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        """Signal the whole process group (as a terminal's Ctrl-C does); its exit code."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
        return self.proc.wait(timeout=timeout)


@pytest.fixture
def start_server(database_url_for_subprocess, tmp_path):
    """start_server(*args) -> a running `cspbilling serve` on the test database; its whole
    process group is killed after the test, whatever happened."""
    servers: list[Server] = []

    def start(*args: str) -> Server:
        port = free_port()
        log = tmp_path / f"serve-{port}.log"
        env = {
            **os.environ,
            "CSPBILLING_DATABASE_URL": database_url_for_subprocess,
            "CSPBILLING_VAR_DIR": str(tmp_path / "var"),  # a fresh clone: nothing collected
            "DJANGO_SETTINGS_MODULE": "cspbilling.settings",
        }
        env.pop("CSPBILLING_DEBUG", None)
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "cspbilling.cli", "serve", "--port", str(port), *args],
                cwd=settings.PROJECT_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(proc, f"http://127.0.0.1:{port}", log)
        servers.append(server)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"serve exited:\n{log.read_text()}"
            try:
                httpx.get(server.url + "/login/", timeout=2)
                return server
            except httpx.TransportError:
                time.sleep(0.2)
        pytest.fail(f"serve did not answer within 60 s:\n{log.read_text()}")

    yield start
    for server in servers:
        if server.proc.poll() is None:
            os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait(timeout=10)
        if not group_is_gone(server.proc.pid):
            os.killpg(server.proc.pid, signal.SIGKILL)


def test_serve_answers_static_files_console_and_api_then_stops_on_sigterm(
    start_server, make_customer
):
    customer = make_customer("Contoso China")
    admin = account_services.do_create_user(username="serve-admin", password=PASSWORD, role="admin")
    _, token = account_services.do_issue_api_token(user=admin, name="serve test")
    server = start_server("--workers", "2")
    assert worker_count(server.proc.pid, 2) == 2

    with httpx.Client(base_url=server.url, timeout=10) as http:
        # The sign-in page names its stylesheet by content hash; it is served compressed and
        # cached for ever (a new version gets a new name).
        login_page = http.get("/login/")
        assert login_page.status_code == 200
        hashed_name = r'href="(/static/css/cspbilling\.[0-9a-f]{12}\.css)"'
        stylesheet = re.search(hashed_name, login_page.text)
        assert stylesheet, login_page.text
        css = http.get(stylesheet.group(1), headers={"Accept-Encoding": "gzip"})
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
        assert css.headers["content-encoding"] == "gzip"
        assert "max-age=315360000" in css.headers["cache-control"]
        assert "immutable" in css.headers["cache-control"]
        assert ".sidenav" in css.text

        # A staff member signs in to the console with the form, CSRF token and all.
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
        signed_in = http.post(
            "/login/",
            data={"csrfmiddlewaretoken": csrf, "username": "serve-admin", "password": PASSWORD},
            headers={"Referer": server.url + "/login/"},
            follow_redirects=True,
        )
        assert signed_in.status_code == 200
        assert str(signed_in.url).endswith("/console/"), signed_in.url
        assert "serve-admin" in signed_in.text

        # An integration calls the API with its token.
        api = http.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 200
        assert api.json()["count"] == 1
        assert api.json()["items"][0]["tenant_id"] == str(customer.tenant_id)
        assert http.get("/api/v1/customers").status_code == 401

    assert server.stop(signal.SIGTERM) == 0
    assert group_is_gone(server.proc.pid), "a worker outlived the server"
    log = server.log.read_text()
    # The access log goes to stdout, one line per request.
    assert re.search(r'"GET /api/v1/customers HTTP/1.1" 200', log), log
    assert re.search(r'"POST /login/ HTTP/1.1" 302', log), log
    assert "Traceback" not in log


def test_ctrl_c_stops_the_server_and_its_workers(start_server):
    server = start_server("--workers", "1")
    assert worker_count(server.proc.pid, 1) == 1
    server.stop(signal.SIGINT)
    assert group_is_gone(server.proc.pid)
    assert "Traceback" not in server.log.read_text()


def test_workers_default_to_the_setting(start_server, monkeypatch):
    monkeypatch.setenv("CSPBILLING_WEB_WORKERS", "3")
    server = start_server()
    assert worker_count(server.proc.pid, 3) == 3
