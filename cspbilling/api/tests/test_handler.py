"""The WSGI application (`cspbilling.wsgi`, what `cspbilling serve` runs): API requests through
the lean middleware chain keep every header; pages keep sessions and the CSRF check."""

from __future__ import annotations

import io
import sys
import uuid

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from cspbilling.wsgi import application

pytestmark = pytest.mark.django_db

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    # As Django's test client does: a request must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def call(app, method: str, path: str, *, token: str | None = None, query: str = ""):
    """(status, headers as a list of pairs, body) of one request through a WSGI app."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
    }
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=int(status[:3]), headers=headers)

    chunks = app(environ, start_response)
    body = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    return started["status"], started["headers"], body


@pytest.fixture
def api_requests(customer_a, tokens) -> list[tuple[str, str, str | None, str, int]]:
    """(method, path, token, query, expected status): answers of every kind."""
    token = tokens["finance"]
    return [
        ("GET", "/api/v1/customers", token, "limit=2", 200),
        ("GET", f"/api/v1/customers/{customer_a.tenant_id}", token, "", 200),
        ("GET", f"/api/v1/customers/{customer_a.tenant_id}", tokens["portal"], "", 200),
        ("GET", f"/api/v1/customers/{uuid.uuid4()}", tokens["portal"], "", 404),
        ("GET", "/api/v1/customers", None, "", 401),
        ("GET", "/api/v1/customers", token, "limit=0", 422),
        ("GET", "/api/v1/no-such-endpoint", token, "", 404),
        ("GET", "/api/v1/upstream/invoices", tokens["portal"], "", 403),
        ("POST", "/api/v1/price-rules", tokens["finance"], "", 422),
        ("GET", "/api/v1/openapi.json", None, "", 200),
    ]


def test_api_answers_keep_the_security_headers_and_set_no_cookie(api_requests):
    for method, path, token, query, expected in api_requests:
        status, headers, _ = call(application, method, path, token=token, query=query)
        assert status == expected, (method, path)
        named = dict(headers)
        assert SECURITY_HEADERS.items() <= named.items(), (path, named)
        assert "default-src 'self'" in named["Content-Security-Policy"]
        assert "Set-Cookie" not in named, path
        assert "Cookie" not in named.get("Vary", ""), path


def test_api_answers_are_those_of_the_whole_middleware_chain(api_requests):
    everything = WSGIHandler()  # settings.MIDDLEWARE, as every request had before
    for method, path, token, query, _ in api_requests:
        lean = call(application, method, path, token=token, query=query)
        full = call(everything, method, path, token=token, query=query)
        assert (lean[0], sorted(lean[1]), lean[2]) == (full[0], sorted(full[1]), full[2]), path


def test_a_post_to_no_endpoint_is_a_404_problem_not_a_csrf_page():
    status, headers, body = call(application, "POST", "/api/v1/no-such-endpoint")
    assert status == 404
    assert dict(headers)["Content-Type"] == "application/problem+json"
    assert b"There is no API endpoint at this path." in body


def test_pages_keep_their_session_and_csrf_middleware():
    status, headers, _ = call(application, "GET", "/login/")
    assert status == 200
    cookies = [value for name, value in headers if name == "Set-Cookie"]
    assert any(cookie.startswith("csrftoken=") for cookie in cookies), headers
    assert SECURITY_HEADERS.items() <= dict(headers).items()
    status, _, body = call(application, "POST", "/login/")
    assert status == 403 and b"CSRF" in body


def test_api_middleware_is_the_page_middleware_less_what_only_pages_need():
    assert [
        path for path in settings.MIDDLEWARE if path not in settings.PAGE_ONLY_MIDDLEWARE
    ] == settings.API_MIDDLEWARE
    assert set(settings.MIDDLEWARE) >= settings.PAGE_ONLY_MIDDLEWARE
    for kept in (
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.csp.ContentSecurityPolicyMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "cspbilling.ops.upload_guard.UploadGuardMiddleware",
    ):
        assert kept in settings.API_MIDDLEWARE
