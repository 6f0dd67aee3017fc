"""cspbilling sandbox: serve the local Partner Center sandbox until Ctrl-C."""

from __future__ import annotations

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cspbilling.partnercenter.sandbox import start_sandbox
from cspbilling.partnercenter.sandbox.state import CLOUDS, DEFAULT_TOKEN


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the Partner Center sandbox: the same API, seeded data and injectable faults."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
        parser.add_argument(
            "--port",
            type=int,
            default=settings.SANDBOX_PORT,
            help="port (default settings.SANDBOX_PORT; 0 = any free port)",
        )
        parser.add_argument("--customers", type=int, default=50, help="customers to seed (50)")
        parser.add_argument("--seed", type=int, default=1, help="random seed for the data (1)")
        parser.add_argument(
            "--token",
            default=None,
            help="bearer token required on API calls (default: the "
            "CSPBILLING_PC_SANDBOX_TOKEN setting, else 'sandbox-token')",
        )
        parser.add_argument(
            "--cloud",
            choices=CLOUDS,
            default=None,
            help="which Partner Center to play: china (operated by 21Vianet: no service-request "
            "API) or global (default: the CSPBILLING_PC_CLOUD setting, else china)",
        )
        parser.add_argument(
            "--state",
            metavar="FILE",
            default=None,
            help="keep the whole state in FILE across restarts: loaded at start when it exists "
            "(then --customers and --seed are ignored), written after each change and on exit",
        )
        faults = parser.add_argument_group("faults (also settable at POST /_sandbox/faults)")
        faults.add_argument("--latency-ms", type=int, default=0, help="delay every answer")
        faults.add_argument("--rate-429", type=float, default=0.0, help="share answered 429")
        faults.add_argument(
            "--retry-after", type=float, default=1.0, help="Retry-After seconds on 429s (1)"
        )
        faults.add_argument("--rate-5xx", type=float, default=0.0, help="share answered 5xx")
        faults.add_argument(
            "--rate-drop",
            type=float,
            default=0.0,
            help="share of connections closed without an answer",
        )
        faults.add_argument(
            "--malformed", type=float, default=0.0, help="share of answers with broken JSON"
        )
        faults.add_argument(
            "--fault-seed",
            type=int,
            default=None,
            help="seed for the fault dice (deterministic runs)",
        )

    def handle(self, *args, **opts) -> None:
        token = opts["token"] or settings.PARTNER_CENTER.get("SANDBOX_TOKEN") or DEFAULT_TOKEN
        faults = {
            "latency_ms": opts["latency_ms"],
            "rate_429": opts["rate_429"],
            "retry_after": opts["retry_after"],
            "rate_5xx": opts["rate_5xx"],
            "rate_drop": opts["rate_drop"],
            "malformed": opts["malformed"],
            "seed": opts["fault_seed"],
        }
        cloud = opts["cloud"] or settings.PARTNER_CENTER.get("CLOUD") or "china"
        started = time.monotonic()
        try:
            handle = start_sandbox(
                cloud=cloud,
                state_file=opts["state"],
                port=opts["port"],
                host=opts["host"],
                customers=opts["customers"],
                seed=opts["seed"],
                token=token,
                faults=faults,
                partner_author=settings.PARTNER_CENTER["PARTNER_AUTHOR_NAME"],
            )
        except OSError as exc:
            raise CommandError(f"cannot listen on {opts['host']}:{opts['port']}: {exc}") from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        state = handle.state
        world = state.world
        subs = sum(len(s) for s in world.subscriptions.values())
        how = f"loaded from {state.loaded_from}" if state.loaded_from else "seeded"
        self.stdout.write(f"Partner Center sandbox at {handle.base_url}")
        self.stdout.write(f"token: {handle.token}")
        self.stdout.write(
            f"{how}: {len(world.customers)} customers, {subs} subscriptions, "
            f"{len(world.invoices)} invoices in {time.monotonic() - started:.1f}s (seed "
            f"{state.seed}, cloud {state.cloud}); control endpoints under "
            f"{handle.base_url}/_sandbox/"
        )
        if state.state_file:
            self.stdout.write(f"state kept in {state.state_file}")
        self.stdout.write(
            f"use it: CSPBILLING_PC_BASE_URL={handle.base_url} "
            f"CSPBILLING_PC_SANDBOX_TOKEN={handle.token}"
        )
        self.stdout.flush()
        # A plain kill stops it as Ctrl-C does, so the state file gets its last write.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.stdout.write("stopping sandbox")
        finally:
            handle.stop()
