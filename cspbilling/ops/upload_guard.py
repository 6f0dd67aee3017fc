"""Every request that carries a body: malformed multipart is a clear 400, and the temporary files of
its uploads are deleted however it ended (see `core.upload_handlers`)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError

from cspbilling.core.upload_handlers import delete_upload_temporaries

API_PREFIX = "/api/"


class UploadGuardMiddleware:
    """Pages: the body of a multipart POST is read here, before the CSRF check reads it, so a
    malformed one (no boundary, a broken part) is a 400 page that says what is wrong, not a bare
    "Bad Request". The REST API reads its body after authentication and answers its own problem
    details (`api.problems`). Either way, no temporary upload file outlives its request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            refused = self._read_page_body(request)
            return refused or self.get_response(request)
        finally:
            delete_upload_temporaries(request)

    @staticmethod
    def _read_page_body(request: HttpRequest) -> HttpResponse | None:
        if (
            request.method != "POST"
            or request.path.startswith(API_PREFIX)
            or request.content_type != "multipart/form-data"
        ):
            return None
        try:
            request.POST  # noqa: B018 (reading it parses the body)
        except MultiPartParserError as exc:
            return _bad_request(f"the uploaded form could not be read ({exc})")
        except UnreadablePostError:
            return _bad_request("the upload was cut off before it was complete")
        return None


def _bad_request(detail: str) -> HttpResponse:
    return HttpResponse(
        f"Bad request: {detail}. Send the form again from its page.",
        status=400,
        content_type="text/plain; charset=utf-8",
    )
