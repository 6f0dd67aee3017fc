"""Deploy hardening: DEBUG off by default, HTTPS settings in production, `check --deploy` clean,
and no database password on any error page."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path

STRONG_KEY = "k3y-" + "x7Q9" * 12
DB_PASSWORD = "Pg-S3cret-Password-77"
PRODUCTION = {
    "CSPBILLING_ENV": "production",
    "CSPBILLING_SECRET_KEY": STRONG_KEY,
    "CSPBILLING_DATABASE_URL": f"postgresql://billing:{DB_PASSWORD}@db.internal:5432/cspbilling",
    "CSPBILLING_ALLOWED_HOSTS": "billing.example.cn",
}
SHOW = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in %r}))
"""


def settings_in_child(names: list[str], **env: str) -> dict:
    """The named settings as a fresh process sees them with this environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CSPBILLING_")}
    clean["CSPBILLING_VAR_DIR"] = os.environ.get("CSPBILLING_VAR_DIR", str(settings.VAR_DIR))
    done = subprocess.run(
        [sys.executable, "-c", SHOW % names],
        cwd=settings.PROJECT_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "cspbilling.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_debug_is_off_unless_asked_for():
    assert settings_in_child(["DEBUG"]) == {"DEBUG": False}
    assert settings_in_child(["DEBUG"], CSPBILLING_DEBUG="1") == {"DEBUG": True}


HTTPS = [
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
]


def test_production_uses_https_only():
    assert settings_in_child(HTTPS, **PRODUCTION) == {
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": None,  # not trusted unless said so
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
    }
    behind_proxy = settings_in_child(
        HTTPS, CSPBILLING_TRUST_X_FORWARDED_PROTO="1", CSPBILLING_HSTS_SECONDS="600", **PRODUCTION
    )
    assert behind_proxy["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert behind_proxy["SECURE_HSTS_SECONDS"] == 600


def test_development_does_not_redirect_to_https():
    found = settings_in_child(HTTPS)
    assert found["SECURE_SSL_REDIRECT"] is False
    assert found["SECURE_HSTS_SECONDS"] == 0


def test_check_deploy_passes_under_production_settings():
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CSPBILLING_")}
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.PROJECT_DIR,
        env={**clean, "CSPBILLING_VAR_DIR": str(settings.VAR_DIR), **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


DEBUG_PAGE = """
import sys, django
django.setup()
from django.conf import settings
from django.test import RequestFactory
from django.views.debug import technical_500_response
assert settings.DEBUG and not hasattr(settings, "DATABASE_URL")
try:
    raise RuntimeError("boom")
except RuntimeError:
    page = technical_500_response(RequestFactory().get("/"), *sys.exc_info())
sys.stdout.write(page.content.decode())
"""


def test_the_debug_page_never_shows_the_database_password():
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CSPBILLING_")}
    done = subprocess.run(
        [sys.executable, "-c", DEBUG_PAGE],
        cwd=settings.PROJECT_DIR,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "cspbilling.settings",
            "CSPBILLING_VAR_DIR": str(settings.VAR_DIR),
            "CSPBILLING_DEBUG": "1",
            "CSPBILLING_DATABASE_URL": PRODUCTION["CSPBILLING_DATABASE_URL"],
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "RuntimeError" in done.stdout and "DATABASES" in done.stdout  # the settings are shown
    assert DB_PASSWORD not in done.stdout


def broken_view(request):
    raise RuntimeError("a bug")


def fine_view(request):
    return HttpResponse("fine")


urlpatterns = [
    path("broken/", broken_view),
    path("fine/", fine_view),
    path("", include("cspbilling.urls")),
]


@pytest.mark.urls(__name__)
def test_with_debug_off_an_error_page_shows_no_settings(db):
    assert settings.DEBUG is False
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    body = response.content.decode()
    for secret in ("DATABASES", "SECRET_KEY", settings.SECRET_KEY, "Traceback", "a bug"):
        assert secret not in body


@pytest.mark.urls(__name__)
def test_every_response_carries_the_content_security_policy(db):
    policy = Client().get("/fine/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no inline script, no eval
    assert directives["frame-ancestors"] == "'none'"
