"""RFC 9457 problem details for every API error (401, 403, 404, 422, 500, …)."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from cspbilling.core.upload_handlers import upload_refusal

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Problem(Schema):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict[str, Any]] | None = None


def problem_response(
    request: HttpRequest,
    status: int,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors is not None:
        body["errors"] = errors
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, default=str),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _plain_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ninja's validation errors, reduced to JSON-safe location/message/type."""
    return [
        {
            "loc": [str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in errors
    ]


def install_problem_handlers(api) -> None:
    def on_authentication(request, exc):
        return problem_response(
            request,
            401,
            "Send a valid API token: Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": 'Bearer realm="cspbilling"'},
        )

    def on_http_error(request, exc: HttpError):
        return problem_response(request, exc.status_code, str(exc))

    def on_validation(request, exc: ValidationError):
        if refusal := upload_refusal(request):  # the file is missing because it was refused
            return problem_response(request, 413, str(refusal))
        errors = _plain_errors(exc.errors)
        where = ", ".join(".".join(e["loc"]) + ": " + e["msg"] for e in errors[:5])
        return problem_response(request, 422, f"The request is not valid: {where}", errors=errors)

    def on_not_found(request, exc):
        return problem_response(request, 404, "There is no such object, or it is not yours.")

    def on_forbidden(request, exc):
        return problem_response(request, 403, "Your role does not allow this.")

    def on_unreadable_body(request, exc):
        if isinstance(exc, RequestDataTooBig):
            return problem_response(
                request, 413, "The request body is too large (a file goes in a multipart upload)."
            )
        if isinstance(exc, UnreadablePostError):
            return problem_response(request, 400, "The request body was cut off.")
        return problem_response(request, 400, f"The multipart body could not be read: {exc}.")

    def on_unexpected(request, exc):
        logger.exception("API error on %s", request.path)
        return problem_response(request, 500, "An unexpected error occurred; it was logged.")

    api.add_exception_handler(Exception, on_unexpected)
    api.add_exception_handler(HttpError, on_http_error)
    for unreadable in (MultiPartParserError, UnreadablePostError, RequestDataTooBig):
        api.add_exception_handler(unreadable, on_unreadable_body)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(PermissionDenied, on_forbidden)


def not_found_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Any path under the API that matches no endpoint."""
    return problem_response(request, 404, "There is no API endpoint at this path.")
