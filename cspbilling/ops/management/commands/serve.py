from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cspbilling.ops.serving import serve_forever


class Command(BaseCommand):
    help = (
        "Run the web app (staff console, customer portal, REST API) under gunicorn with "
        "WORKERS processes; static files are collected at start and served by WhiteNoise. "
        "Put it behind a TLS-terminating proxy in production. Ctrl-C or SIGTERM stops it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.WEB_WORKERS,
            help="worker processes (default CSPBILLING_WEB_WORKERS, %(default)s)",
        )

    def handle(self, *args, host: str, port: int, workers: int, **options):
        if workers < 1:
            raise CommandError(f"--workers {workers}: at least 1")
        self.stdout.write(f"cspbilling web app on http://{host}:{port}/  (Ctrl-C stops it)")
        self.stdout.flush()
        serve_forever(host=host, port=port, workers=workers)
