"""The customers API under `cspbilling serve --workers 2`, against a bare Django view (the floor).

    .venv/bin/python bench/api_load.py [--customers 2000] [--engine sqlite|postgres|both]
                                      [--server serve|granian] [--duration 10] [--rounds 3]

Seeds N customers (3 subscriptions each) into a fresh database, starts the server and measures
with wrk (2 threads, 32 connections, the median of 3 rounds): (a) GET /api/v1/customers?limit=50
with an admin's token, (b) GET /api/v1/customers/<tenant id>. The floor, in the same run:
bench/floor_settings.py (a bare URLconf, no middleware) under the same server with the same
worker count, returning the same rows from the same database with one raw query and
json.dumps. Both servers run side by side and are measured in turns, so that a change in the
machine's load falls on both. `--server granian` runs both under granian's WSGI interface
instead of `cspbilling serve` (to compare servers; `.venv/bin/pip install granian` first).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
WORKERS = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(engine: str, workdir: Path) -> str:
    if engine == "sqlite":
        return f"sqlite:///{workdir / 'bench-api.sqlite3'}"
    name = "cspbilling_bench_api"
    pg = ["-h", "127.0.0.1", "-U", "postgres"]
    subprocess.run(["dropdb", *pg, "--if-exists", name], check=True)
    subprocess.run(["createdb", *pg, name], check=True)
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def seed(customers: int) -> None:
    """(In a child process, on CSPBILLING_DATABASE_URL.) Prints a token and a tenant id."""
    import uuid

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cspbilling.settings")
    django.setup()
    from django.utils import timezone

    from cspbilling.accounts.models import Role
    from cspbilling.accounts.services import do_create_user, do_issue_api_token
    from cspbilling.customers.models import Customer
    from cspbilling.subscriptions.models import Subscription

    now = timezone.now()
    rows = [
        Customer(
            tenant_id=uuid.UUID(int=n + 1),
            company_name=f"Customer {n:05d} Trading Co.",
            legal_name=f"客户 {n:05d} 有限公司",
            domain=f"customer{n:05d}.partner.onmschina.cn",
            country="CN",
            last_synced_at=now,
        )
        for n in range(customers)
    ]
    Customer.objects.bulk_create(rows, batch_size=1000)
    by_tenant = dict(Customer.objects.values_list("tenant_id", "id"))
    subscriptions = [
        Subscription(
            subscription_id=str(uuid.UUID(int=10_000_000 + n * 3 + k)),
            customer_id=by_tenant[uuid.UUID(int=n + 1)],
            offer_id=f"CFQ7TTC0LF8{k}",
            offer_name=("Microsoft 365 E3", "Exchange Online", "Azure plan")[k],
            quantity=10 + k,
            status="active",
            billing_cycle="monthly",
        )
        for n in range(customers)
        for k in range(3)
    ]
    Subscription.objects.bulk_create(subscriptions, batch_size=1000)
    admin = do_create_user(username="bench-admin", password="bench-password-2026", role=Role.ADMIN)
    _, raw = do_issue_api_token(user=admin, name="bench")
    print(raw)
    print(uuid.UUID(int=customers // 2 + 1))


@dataclass
class Figures:
    requests_per_second: float
    p50_ms: float
    p99_ms: float


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk(url: str, *, token: str, duration: int) -> Figures:
    done = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{duration}s", "--latency"]
        + ["-H", f"Authorization: Bearer {token}", url],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk saw errors on {url}:\n{out}")

    def latency(percent: str) -> float:
        value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)$", out, re.M).groups()
        return float(value) * UNITS[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return Figures(rps, latency("50"), latency("99"))


def server_command(server: str, port: int) -> list[str]:
    if server == "serve":
        return [PYTHON, "-m", "cspbilling.cli", "serve", "--workers", str(WORKERS)] + [
            "--port",
            str(port),
        ]
    granian = str(Path(PYTHON).parent / "granian")
    return [granian, "--interface", "wsgi", "--workers", str(WORKERS), "--port", str(port)] + [
        "--access-log",
        "cspbilling.wsgi:application",
    ]


def start_server(server: str, env: dict, settings_module: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        server_command(server, port),
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": settings_module, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=open(Path(env["CSPBILLING_VAR_DIR"]) / "server.log", "a"),  # noqa: SIM115
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/api/v1/customers?limit=1", timeout=1)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    stop(proc)
    log = (Path(env["CSPBILLING_VAR_DIR"]) / "server.log").read_text()
    raise SystemExit(f"{server} did not start:\n{log[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def measure(server: str, env: dict, paths: dict, token: str, seconds: int, rounds: int):
    """{(kind, request): [Figures per round]}: the API and the floor served side by side,
    measured in turns so that a change in the machine's load falls on both."""
    api, api_url = start_server(server, env, "cspbilling.settings")
    floor, floor_url = start_server(server, env, "bench.floor_settings")
    try:
        results: dict[tuple[str, str], list[Figures]] = {}
        for name, path in paths.items():
            for url in (api_url, floor_url):  # warm-up: workers, connections, caches
                wrk(url + path, token=token, duration=2)
            for _ in range(rounds):
                for kind, url in (("api", api_url), ("floor", floor_url)):
                    figures = wrk(url + path, token=token, duration=seconds)
                    results.setdefault((kind, name), []).append(figures)
        return results
    finally:
        stop(api)
        stop(floor)


def median(figures: list[Figures]) -> Figures:
    """The round with the median throughput (its latencies with it)."""
    return sorted(figures, key=lambda f: f.requests_per_second)[len(figures) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--server", choices=["serve", "granian"], default="serve")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs of each, in turns")
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)  # the child that seeds
    args = parser.parse_args()
    if args.seed is not None:
        seed(args.seed)
        return
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    print(f"{args.customers} customers, {args.server}, {WORKERS} workers, wrk -t2 -c32")
    print(f"{'engine':9}{'request':16}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}  floor req/s  ratio")
    with tempfile.TemporaryDirectory() as tmp:
        for engine in engines:
            env = {
                **os.environ,
                "CSPBILLING_DATABASE_URL": database_url(engine, Path(tmp)),
                "CSPBILLING_VAR_DIR": tmp,
                "CSPBILLING_PC_SYNC_MINUTES": "0",
            }
            subprocess.run(
                [PYTHON, "-m", "cspbilling.cli", "migrate", "--verbosity", "0"],
                cwd=ROOT,
                env=env,
                check=True,
            )
            seeded = subprocess.run(
                [PYTHON, __file__, "--seed", str(args.customers)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            token, tenant_id = seeded[-2], seeded[-1]
            paths = {
                "list of 50": "/api/v1/customers?limit=50",
                "one customer": f"/api/v1/customers/{tenant_id}",
            }
            results = measure(args.server, env, paths, token, args.duration, args.rounds)
            for name in paths:
                a, f = median(results["api", name]), median(results["floor", name])
                print(
                    f"{engine:9}{name:16}{a.requests_per_second:8.0f}{a.p50_ms:8.1f}"
                    f"{a.p99_ms:8.1f}  {f.requests_per_second:7.0f} "
                    f"(p99 {f.p99_ms:5.1f})  {a.requests_per_second / f.requests_per_second:4.0%}"
                )


if __name__ == "__main__":
    main()
