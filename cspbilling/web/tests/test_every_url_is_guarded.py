"""Every page and endpoint checks who is asking: walk them all, not only the ones we remember."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

# portal:case_action: the signed links of case emails (confirm, reopen, rate): the signature is
# the guard (cspbilling/cases/tests/test_closing.py refuses a forged one).
PUBLIC = {"accounts:login", "accounts:logout", "set_language", "portal:case_action"}
CONVERTER_VALUES = {"uuid": str(uuid.uuid4()), "int": "1", "str": "x", "slug": "x", "path": "x"}


def walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
            yield name, prefix + str(entry.pattern)


def concrete(route: str) -> str | None:
    """A URL for a route, with a made-up value for each parameter (None for regex routes)."""
    if route.startswith("^") or "(?P" in route:
        return None
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: CONVERTER_VALUES[m.group(1) or "str"], route)


def our_pages():
    pages = []
    for name, route in walk(get_resolver().url_patterns):
        namespace = name.split(":")[0]
        if name in PUBLIC or namespace in {"admin", "api", ""} or route.startswith("i18n"):
            continue
        url = concrete(route)
        if url:
            pages.append(pytest.param(url, id=name))
    return pages


PAGES = our_pages()


def test_the_walk_finds_the_pages():
    names = {p.id for p in PAGES}
    assert len(PAGES) > 25
    assert {"web:customer_list", "portal:home", "upstream:payables", "audit:event_list"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_sign_in(url):
    for method in ("get", "post"):
        response = getattr(Client(), method)(url)
        assert response.status_code in (302, 405), (method, url, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith("/login/"), (method, url)


SIDED_PAGES = [p for p in PAGES if not p.id.startswith("accounts:")]  # home, password: everyone


@pytest.mark.django_db
@pytest.mark.parametrize("url", SIDED_PAGES)
def test_the_wrong_kind_of_user_is_refused(url, staff_users, portal_user_a, client_for):
    """Portal users never reach a console page; staff never reach a portal page."""
    user = staff_users["admin"] if url.startswith("/portal/") else portal_user_a
    client = client_for(user)
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        assert response.status_code in (403, 404, 405), (method, url, response.status_code)


def api_operations():
    from cspbilling.api.api import api

    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for method in operations:
            url = re.sub(r"{(\w+)}", lambda m: CONVERTER_VALUES["uuid"], path)
            yield pytest.param(method, url, id=f"{method.upper()} {path}")


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url"), list(api_operations()))
def test_every_api_operation_needs_a_token(method, url):
    response = Client().generic(method.upper(), url)
    assert response.status_code == 401, (method, url, response.status_code)
    assert response["Content-Type"].startswith("application/problem+json")
