"""Swagger UI served from the files django-ninja ships (no CDN, ninja need not be an app)."""

from __future__ import annotations

import json
from pathlib import Path

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from ninja.openapi.docs import Swagger

NINJA_STATIC = Path(ninja.__file__).parent / "static" / "ninja"
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
}


class LocalSwagger(Swagger):
    def render_page(self, request: HttpRequest, api, **kwargs) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {"swagger_settings": json.dumps(self.settings), "api": api}
        return render(request, "api/docs.html", context)


def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    if name not in ASSETS:
        raise Http404(name)
    response = FileResponse((NINJA_STATIC / name).open("rb"), content_type=ASSETS[name])
    response["Cache-Control"] = "public, max-age=86400"
    return response


def asset_url(name: str) -> str:
    return reverse("api:docs_asset", args=[name])
