from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from cspbilling.ops.demo import DEMO_PASSWORDS, load_demo_data
from cspbilling.ops.mailcatcher import start_mailcatcher


class Command(BaseCommand):
    help = (
        "Run the product on the embedded default: SQLite, the Partner Center sandbox with demo "
        "data synced from it, the background worker and the web app. Prints the URL and logins."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="web app port (default 8000)")
        parser.add_argument("--sandbox-port", type=int, default=settings.SANDBOX_PORT)
        parser.add_argument("--customers", type=int, default=40, help="sandbox customers")
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="set up the demo data, then stop (no web app, no worker)",
        )

    def handle(
        self, *args, port: int, sandbox_port: int, customers: int, no_serve: bool, **options
    ):
        from cspbilling.partnercenter.sandbox.server import start_sandbox

        self.stdout.write("1/4 database: " + settings.DATABASES["default"]["NAME"])
        call_command("migrate", verbosity=0)
        mail_dir = Path(settings.VAR_DIR) / "mail"
        mailer = settings.MAILERS["default"]["OPTIONS"]
        catcher = None
        if mailer["host"] in {"127.0.0.1", "localhost"} and not no_serve:
            catcher = start_mailcatcher(folder=mail_dir, host="127.0.0.1", port=mailer["port"])
        sandbox = start_sandbox(port=sandbox_port, customers=customers, seed=2026)
        self.stdout.write(f"2/4 Partner Center sandbox on {sandbox.base_url}")
        settings.PARTNER_CENTER.update(BASE_URL=sandbox.base_url, SANDBOX_TOKEN=sandbox.token)
        summary = load_demo_data(stdout=self.stdout)
        self.stdout.write(f"3/4 demo data: {summary}")
        if no_serve:
            sandbox.stop()
            return
        env = {
            **os.environ,
            "CSPBILLING_PC_BASE_URL": sandbox.base_url,
            "CSPBILLING_PC_SANDBOX_TOKEN": sandbox.token,
            "CSPBILLING_STAFF_ALERT_EMAILS": os.environ.get(
                "CSPBILLING_STAFF_ALERT_EMAILS", "collections@demo.cspbilling.localhost"
            ),
        }
        worker = subprocess.Popen([sys.executable, "-m", "cspbilling.cli", "worker"], env=env)
        self.stdout.write(f"4/4 worker started (pid {worker.pid})")
        self.stdout.write(
            "\n  cspbilling demo is running: "
            f"http://127.0.0.1:{port}/\n  logins (username / password):\n"
            + "\n".join(f"    {u:<10} {p}   ({role})" for u, (p, role) in DEMO_PASSWORDS.items())
            + (f"\n  emails (to customers and staff) are kept in {mail_dir}/" if catcher else "")
            + "\n  Ctrl-C stops everything.\n"
        )
        try:
            call_command("serve", port=port)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
            sandbox.stop()
            if catcher:
                catcher.stop()
