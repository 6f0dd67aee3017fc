"""Turning answers into models: collections, continuation links, clear parse errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

from cspbilling.partnercenter.errors import PartnerCenterResponseError
from cspbilling.partnercenter.http import ApiResponse, Transport


def _loc_path(prefix: str, loc: tuple[Any, ...]) -> str:
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(answer)"


def describe_validation(exc: ValidationError, prefix: str = "") -> str:
    errors = exc.errors(include_url=False)
    first = errors[0]
    msg = first["msg"]
    text = f"{_loc_path(prefix, tuple(first['loc']))}: {msg[:1].lower()}{msg[1:]}"
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more)"
    return text


def parse_model[M: BaseModel](
    model: type[M], data: Any, response: ApiResponse, where: str = ""
) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PartnerCenterResponseError(
            describe_validation(exc, where),
            status=response.status,
            request_id=response.request_id,
            endpoint=response.endpoint,
        ) from None


def _ci(mapping: Any, key: str) -> Any:
    if not isinstance(mapping, dict):
        return None
    if key in mapping:
        return mapping[key]
    lowered = key.lower()
    for k, v in mapping.items():
        if isinstance(k, str) and k.lower() == lowered:
            return v
    return None


def next_request(data: dict[str, Any]) -> tuple[str, str, dict[str, str]] | None:
    """(method, path, headers) of links.next, with the /v1 prefix the link leaves out."""
    link = _ci(_ci(data, "links"), "next")
    uri = _ci(link, "uri")
    if not uri:
        return None
    if not uri.startswith(("http://", "https://")):
        uri = uri if uri.startswith("/") else f"/{uri}"
        if not uri.lower().startswith("/v1/"):
            uri = f"/v1{uri}"
    headers: dict[str, str] = {}
    raw_headers = _ci(link, "headers") or []
    if isinstance(raw_headers, dict):
        headers = {str(k): str(v) for k, v in raw_headers.items()}
    else:
        for pair in raw_headers:
            key, value = _ci(pair, "key"), _ci(pair, "value")
            if key:
                headers[str(key)] = "" if value is None else str(value)
    return (_ci(link, "method") or "GET").upper(), uri, headers


def iter_collection[M: BaseModel](
    transport: Transport,
    path: str,
    model: type[M],
    *,
    params: dict[str, Any] | None = None,
) -> Iterator[M]:
    """Yield every item of a collection, fetching one page at a time."""
    request: tuple[str, str, dict[str, str]] | None = ("GET", path, {})
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    first = True
    while request is not None:
        method, uri, headers = request
        response = transport.request(method, uri, params=params if first else None, headers=headers)
        first = False
        data = response.data
        items = _ci(data, "items")
        if not isinstance(items, list):
            raise PartnerCenterResponseError(
                "items: expected a list of results",
                status=response.status,
                request_id=response.request_id,
                endpoint=response.endpoint,
            )
        for index, item in enumerate(items):
            yield parse_model(model, item, response, f"items[{index}]")
        request = next_request(data)
        if request is not None:
            key = (request[1], tuple(sorted(request[2].items())))
            if key in seen:
                raise PartnerCenterResponseError(
                    "links.next repeats an earlier page", endpoint=response.endpoint
                )
            seen.add(key)
