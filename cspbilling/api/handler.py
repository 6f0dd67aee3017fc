"""The WSGI application: REST API requests through a lean middleware chain, pages through all of it.

An API request authenticates with a bearer token each time (`api.auth`): it has no session, no
CSRF cookie to check (ninja's views are CSRF-exempt, and no API view reads a form), no flash
messages, and never names a static file. Running it through those middleware cost a sixth of a
one-customer request for nothing. So API requests get `settings.API_MIDDLEWARE`: MIDDLEWARE
without those, in the same order, keeping everything that sets a header (security headers, CSP,
X-Frame-Options, Content-Language) or guards a request (upload clean-up).

The choice is made on the path: only the API's URLs start with /api/ (`cspbilling/urls.py`), and
both handlers resolve URLs the same way, so a page can never be served without its middleware.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.utils.module_loading import import_string

API_PREFIX = "/api/"


class ApiMiddlewareMixin:
    """A handler (WSGI or the test client's) whose chain is settings.API_MIDDLEWARE.

    Django's own load_middleware reads settings.MIDDLEWARE only; this is its loop for a
    synchronous handler (all our middleware is), over another list."""

    def load_middleware(self: BaseHandler, is_async: bool = False) -> None:
        if is_async:
            raise ImproperlyConfigured("The API's middleware chain is built for WSGI only.")
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(settings.API_MIDDLEWARE):
            try:
                middleware = import_string(path)(handler)
            except MiddlewareNotUsed:
                continue
            if hasattr(middleware, "process_view"):
                self._view_middleware.insert(0, middleware.process_view)
            if hasattr(middleware, "process_template_response"):
                self._template_response_middleware.append(middleware.process_template_response)
            if hasattr(middleware, "process_exception"):
                self._exception_middleware.append(middleware.process_exception)
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler


class ApiWSGIHandler(ApiMiddlewareMixin, WSGIHandler):
    pass


WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def api_or_pages() -> WSGIApp:
    """The WSGI application `cspbilling serve` runs (and cspbilling.wsgi exposes)."""
    pages, api = WSGIHandler(), ApiWSGIHandler()

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        handler = api if environ.get("PATH_INFO", "").startswith(API_PREFIX) else pages
        return handler(environ, start_response)

    return application
