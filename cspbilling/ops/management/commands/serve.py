from __future__ import annotations

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management.base import BaseCommand
from django.core.servers.basehttp import run
from django.core.wsgi import get_wsgi_application

from cspbilling.ops.http_server import BoundedWSGIServer


class Command(BaseCommand):
    help = (
        "Run the web app (staff console, customer portal, REST API) on a threaded HTTP server. "
        "For production, run cspbilling.wsgi:application under a WSGI server behind a proxy."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host: str, port: int, **options):
        self.stdout.write(f"cspbilling web app on http://{host}:{port}/  (Ctrl-C stops it)")
        run(
            host,
            port,
            StaticFilesHandler(get_wsgi_application()),
            threading=True,
            server_cls=BoundedWSGIServer,
        )
