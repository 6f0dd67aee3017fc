"""Calling the API as an integration does, and checking its problem details."""

from __future__ import annotations

import json

from django.test import Client
from django.test.client import ClientHandler

from cspbilling.api.handler import ApiMiddlewareMixin

BASE = "/api/v1"


class _ApiClientHandler(ApiMiddlewareMixin, ClientHandler):
    pass


class ApiClient(Client):
    """Django's test client through the API's middleware chain, as `cspbilling serve` runs it."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.handler = _ApiClientHandler(self.handler.enforce_csrf_checks)


def _headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def get(path: str, token: str | None = None, **params):
    return ApiClient().get(BASE + path, params, headers=_headers(token))


def post(path: str, token: str | None = None, body: dict | None = None):
    return ApiClient().post(
        BASE + path,
        json.dumps(body or {}),
        content_type="application/json",
        headers=_headers(token),
    )


def send(method: str, path: str, token: str | None = None, body: dict | None = None):
    """PATCH or PUT with a JSON body."""
    return getattr(ApiClient(), method.lower())(
        BASE + path,
        json.dumps(body or {}),
        content_type="application/json",
        headers=_headers(token),
    )


def upload(path: str, token: str | None, data: dict):
    return ApiClient().post(BASE + path, data, headers=_headers(token))


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["status"] == status and body["instance"] == response.wsgi_request.path
    return body
