"""Request guards that apply to every page and endpoint."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

API_PREFIX = "/api/"


class RejectNulCharactersMiddleware:
    """A NUL character in the path or a query parameter of a page is refused with 400 before
    any view runs: PostgreSQL cannot compare text with NUL in it (it answered 500), and no
    identifier, search or filter of ours ever contains one. The REST API validates its own
    parameters (a documented 422 problem), so it is left to do so."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponse:
        detail = "the address contains a NUL character (%00), which no page or filter accepts"
        return HttpResponse(
            f"Bad request: {detail}.", status=400, content_type="text/plain; charset=utf-8"
        )
