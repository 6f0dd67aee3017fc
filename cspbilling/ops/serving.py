"""`cspbilling serve`: the web app under gunicorn, static files through WhiteNoise.

gunicorn's arbiter runs in this process and forks the workers; it stops them gracefully on
SIGTERM and at once on Ctrl-C (SIGINT). Each worker runs WEB_THREADS threads; each thread keeps
its database connection between requests (CONN_MAX_AGE).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connections
from gunicorn.app.base import BaseApplication

from cspbilling.api.handler import api_or_pages


def collect_static_files() -> None:
    """Copy and hash the static files into STATIC_ROOT (a fresh clone has none)."""
    call_command("collectstatic", interactive=False, verbosity=0)


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class _DjangoUnderGunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self):
        return api_or_pages()


def serve_forever(*, host: str, port: int, workers: int) -> None:
    """Collect the static files, then serve until SIGTERM or Ctrl-C."""
    collect_static_files()
    # Workers are forked from this process: none may inherit its database connection.
    connections.close_all()
    _DjangoUnderGunicorn(
        {
            "bind": [bind_address(host, port)],
            "workers": workers,
            # Threads keep connections alive between requests (a client or proxy does not
            # reconnect for each one) and let a slow request not hold up the rest.
            "worker_class": "gthread",
            "threads": settings.WEB_THREADS,
            "keepalive": 5,
            "accesslog": "-",  # stdout
            "errorlog": "-",  # stderr
            "graceful_timeout": 10,
            "proc_name": "cspbilling-serve",
            # One shared socket in $HOME would clash between servers on one machine.
            "control_socket_disable": True,
        }
    ).run()
