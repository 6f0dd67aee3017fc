"""The customers API under `cspbilling serve --workers 2`, against a bare Django view (the floor).

    .venv/bin/python bench/api_load.py [--customers 2000] [--engine sqlite|postgres|both]
                                      [--server serve|granian] [--duration 10] [--rounds 3]
                                      [--workers 2] [--threads N] [--cpu]

Seeds N customers (3 subscriptions each) into a fresh database, starts the server and measures
with wrk (2 threads, 32 connections, the median of 3 rounds): (a) GET /api/v1/customers?limit=50
with an admin's token, (b) GET /api/v1/customers/<tenant id>. The floor, in the same run:
bench/floor_settings.py (a bare URLconf, no middleware) under the same server with the same
worker count, returning the same rows from the same database with one raw query and
json.dumps. Both servers run side by side and are measured in turns, so that a change in the
machine's load falls on both. `--server granian` runs both under granian's WSGI interface
instead of `cspbilling serve` (to compare servers; `.venv/bin/pip install granian` first).
The ratio is the median of the rounds' ratios. Beside it, the CPU time the server's processes
spent per request (API, floor, and floor / API: the throughput ratio if the server's CPU were the
only limit; the database server's own time is not in it, which matters for PostgreSQL only).
`--workers` and `--threads` set both servers' processes and threads per process. The load
average is printed before and after each engine.

`--cpu` measures no throughput: it prints the CPU time per request of the API and of the floor,
in-process through the WSGI application `serve` runs (the least of 5 runs of 300 requests), a
figure other processes on the machine barely move; develop against it, confirm with wrk.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
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
    requests: int
    server_cpu_ms: float = 0.0  # the server's processes' CPU time per request (not the database's)


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
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return Figures(rps, latency("50"), latency("99"), requests)


def cpu_seconds(root: int) -> float:
    """User and system CPU time of a process and its children (the server and its workers)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:  # gone meanwhile
                continue
            stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    total = stats.get(root, (0, 0))[1]
    total += sum(ticks for parent, ticks in stats.values() if parent == root)
    return total / os.sysconf("SC_CLK_TCK")


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
                for kind, proc, url in (("api", api, api_url), ("floor", floor, floor_url)):
                    before = cpu_seconds(proc.pid)
                    figures = wrk(url + path, token=token, duration=seconds)
                    used = cpu_seconds(proc.pid) - before
                    figures.server_cpu_ms = used / figures.requests * 1000
                    results.setdefault((kind, name), []).append(figures)
        return results
    finally:
        stop(api)
        stop(floor)


def ratio(results: dict, name: str) -> float:
    """API / floor requests per second: the median of each round's ratio (the two runs of a
    round are back to back, so the machine's load changes less between them than between
    rounds)."""
    ratios = sorted(
        api.requests_per_second / floor.requests_per_second
        for api, floor in zip(results["api", name], results["floor", name], strict=True)
    )
    middle = len(ratios) // 2
    return ratios[middle] if len(ratios) % 2 else (ratios[middle - 1] + ratios[middle]) / 2


def median(figures: list[Figures]) -> Figures:
    """The round with the median throughput (its latencies with it)."""
    return sorted(figures, key=lambda f: f.requests_per_second)[len(figures) // 2]


def cpu_per_request(token: str, paths: dict[str, str], requests: int = 300) -> None:
    """(In a child process, under DJANGO_SETTINGS_MODULE.) Prints the CPU time per request of
    each path through the WSGI application `serve` runs, in ms: the least of 5 runs of
    `requests` requests, so that other processes on the machine barely move it."""
    import io

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cspbilling.settings")
    from cspbilling.wsgi import application

    def call(path: str) -> None:
        route, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": route,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "HTTP_HOST": "127.0.0.1:8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_AUTHORIZATION": f"Bearer {token}",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
        }
        statuses = []
        b"".join(application(environ, lambda status, headers: statuses.append(status)))
        if not statuses[0].startswith("200"):
            raise SystemExit(f"{path}: {statuses[0]}")

    for name, path in paths.items():
        call(path)
        runs = []
        for _ in range(5):
            started = time.process_time()
            for _ in range(requests):
                call(path)
            runs.append((time.process_time() - started) / requests * 1000)
        print(f"{name}\t{min(runs):.3f}")


SETTINGS = {"api": "cspbilling.settings", "floor": "bench.floor_settings"}


def measure_cpu(env: dict, paths: dict, token: str) -> dict[tuple[str, str], float]:
    """{(kind, request): CPU ms per request} for the API and the floor, in-process."""
    results = {}
    for kind, settings_module in SETTINGS.items():
        out = subprocess.run(
            [PYTHON, __file__, "--cpu-child", token, *paths.values()],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": settings_module, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for line, name in zip(out.splitlines(), paths, strict=True):
            results[kind, name] = float(line.split("\t")[1])
    return results


def load_average() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def prepare(engine: str, tmp: str, customers: int) -> tuple[dict, str, str]:
    """A migrated, seeded database: (environment, an admin's token, a tenant id)."""
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
        [PYTHON, __file__, "--seed", str(customers)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return env, seeded[-2], seeded[-1]


def main() -> None:
    global WORKERS  # the servers' worker count, read by server_command
    if not {"--cpu", "--cpu-child", "--seed"} & set(sys.argv) and not shutil.which("wrk"):
        sys.exit("bench/api_load.py measures with wrk: apt-get install wrk")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--server", choices=["serve", "granian"], default="serve")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs of each, in turns")
    parser.add_argument("--workers", type=int, default=WORKERS, help="worker processes")
    parser.add_argument("--threads", type=int, help="threads per worker (CSPBILLING_WEB_THREADS)")
    parser.add_argument("--cpu", action="store_true", help="CPU per request in-process, no wrk")
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)  # the child that seeds
    parser.add_argument("--cpu-child", nargs="+", help=argparse.SUPPRESS)  # token, paths
    args = parser.parse_args()
    if args.seed is not None:
        seed(args.seed)
        return
    if args.cpu_child:
        token, *paths = args.cpu_child
        cpu_per_request(token, {path: path for path in paths})
        return
    WORKERS = args.workers
    if args.threads:
        os.environ["CSPBILLING_WEB_THREADS"] = str(args.threads)
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    if args.cpu:
        print(f"{args.customers} customers, CPU ms per request in-process (least of 5 × 300)")
        print(f"{'engine':9}{'request':16}{'API ms':>8}{'floor ms':>10}")
    else:
        threads = os.environ.get("CSPBILLING_WEB_THREADS", "default")
        print(f"{args.customers} customers, {args.server}, {WORKERS} workers × {threads} threads")
        print("wrk -t2 -c32")
        header = f"{'engine':9}{'request':16}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
        print(f"{header}  floor req/s  ratio  server CPU ms/req: API floor ratio")
    with tempfile.TemporaryDirectory() as tmp:
        for engine in engines:
            env, token, tenant_id = prepare(engine, tmp, args.customers)
            paths = {
                "list of 50": "/api/v1/customers?limit=50",
                "one customer": f"/api/v1/customers/{tenant_id}",
            }
            print(f"load average before {engine}: {load_average()}")
            if args.cpu:
                cpu = measure_cpu(env, paths, token)
                for name in paths:
                    print(f"{engine:9}{name:16}{cpu['api', name]:8.3f}{cpu['floor', name]:10.3f}")
                continue
            results = measure(args.server, env, paths, token, args.duration, args.rounds)
            for name in paths:
                a, f = median(results["api", name]), median(results["floor", name])
                cpu_api, cpu_floor = (
                    statistics.median(r.server_cpu_ms for r in results[kind, name])
                    for kind in ("api", "floor")
                )
                print(
                    f"{engine:9}{name:16}{a.requests_per_second:8.0f}{a.p50_ms:8.1f}"
                    f"{a.p99_ms:8.1f}  {f.requests_per_second:7.0f} "
                    f"(p99 {f.p99_ms:5.1f})  {ratio(results, name):4.0%}"
                    f"  {cpu_api:6.3f} {cpu_floor:6.3f}  {cpu_floor / cpu_api:4.0%}"
                )
            print(f"load average after {engine}: {load_average()}")


if __name__ == "__main__":
    main()
