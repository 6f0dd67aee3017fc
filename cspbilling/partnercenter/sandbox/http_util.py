"""Small request/answer helpers shared by the sandbox's route modules."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cspbilling.partnercenter.sandbox.state import SandboxError

_DEC = re.compile(r'"@@DEC(-?[0-9.E+-]+)@@"')


def encode_json(body: Any) -> bytes:
    """JSON with Decimal written as exact numbers (json cannot, so mark and unmark them)."""

    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"@@DEC{value}@@"
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")

    text = json.dumps(body, default=default, ensure_ascii=False, separators=(",", ":"))
    return _DEC.sub(r"\1", text).encode()


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Any
    raw_body: bytes
    params: dict[str, str] = field(default_factory=dict)
    base_url: str = ""
    raw_query: str = ""

    @property
    def self_uri(self) -> str:
        """This request's path and query as sent (``links.self``: with /v1 and the filter)."""
        return f"{self.path}?{self.raw_query}" if self.raw_query else self.path

    def json(self) -> Any:
        if not self.raw_body:
            return {}
        try:
            return json.loads(self.raw_body, parse_float=Decimal)
        except ValueError as exc:
            raise SandboxError(400, None, f"The request body is not valid JSON: {exc}") from None

    def int_param(self, name: str, default: int, *, maximum: int | None = None) -> int:
        """A whole-number query parameter; ``size=0`` (sent by the documented customer filter
        request) means "no page size of my own": the list's largest page."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SandboxError(400, None, f"{name} must be a whole number") from None
        if value < 0:
            raise SandboxError(400, None, f"{name} must not be negative")
        if name == "size" and value == 0 and maximum:
            return maximum
        return min(value, maximum) if maximum else value

    def filter(self) -> dict[str, Any] | None:
        raw = self.query.get("filter")
        if not raw:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            raise SandboxError(400, None, "filter is not valid JSON") from None
        if not isinstance(data, dict):
            raise SandboxError(400, None, "filter must be an object")
        return {str(k).lower(): v for k, v in data.items()}


Reply = tuple[int, Any, dict[str, str]]


def ok(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return status, body, headers or {}


def link(uri: str, headers: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"uri": uri, "method": "GET", "headers": headers or []}


def collection(items: list[Any], self_uri: str, next_link: dict | None = None) -> dict[str, Any]:
    links: dict[str, Any] = {"self": link(self_uri)}
    if next_link:
        links["next"] = next_link
    return {
        "totalCount": len(items),
        "items": items,
        "links": links,
        "attributes": {"objectType": "Collection"},
    }


def offset_page(
    req: Request,
    items: list[Any],
    base_uri: str,
    *,
    default_size: int,
    maximum: int,
    extra_query: str = "",
) -> dict[str, Any]:
    """A size/offset page whose links.next carries the next offset (no /v1 prefix)."""
    size = req.int_param("size", default_size, maximum=maximum)
    offset = req.int_param("offset", 0)
    page = items[offset : offset + size]
    sep = "&" if extra_query else ""
    nxt = None
    if offset + size < len(items):
        nxt = link(f"{base_uri}?{extra_query}{sep}size={size}&offset={offset + size}")
    return collection(page, req.self_uri, nxt)
