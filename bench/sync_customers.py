"""How long `cspbilling sync` takes for N sandbox customers, against the HTTP floor.

    .venv/bin/python bench/sync_customers.py [--customers 10000] [--engine sqlite|postgres|both]

The sandbox runs in its own process. The baseline, measured in the same run, is fetching the
same customers and subscriptions over HTTP with the client and doing nothing with them: the
difference is what the mirror (mapping, fingerprints, bulk writes, audit events) costs. Then a
second sync, which must change nothing, shows the cost of an idle daily run.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox(customers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "cspbilling.cli",
            "sandbox",
            "--port",
            str(port),
            "--customers",
            str(customers),
            "--seed",
            "1",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/_sandbox", timeout=1)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the sandbox did not start")


def run_cli(env: dict, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-m", "cspbilling.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"cspbilling {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return elapsed, done.stdout.strip()


def fetch_only(url: str, token: str, concurrency: int) -> float:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cspbilling.settings")
    import django

    django.setup()
    from cspbilling.partnercenter.auth import SandboxTokenProvider
    from cspbilling.partnercenter.client import PartnerCenterClient
    from cspbilling.sync.fetch import fetch_snapshot

    started = time.perf_counter()
    with PartnerCenterClient(base_url=url, token_provider=SandboxTokenProvider(token)) as client:
        snapshot = fetch_snapshot(client=client, concurrency=concurrency)
    elapsed = time.perf_counter() - started
    print(
        f"  fetched {len(snapshot.customers)} customers, "
        f"{sum(len(s) for s in snapshot.subscriptions.values())} subscriptions"
    )
    return elapsed


def database_url(engine: str, workdir: Path) -> str:
    if engine == "sqlite":
        return f"sqlite:///{workdir / 'bench-sync.sqlite3'}"
    name = "cspbilling_bench_sync"
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    token = "sandbox-token"
    proc, url = start_sandbox(args.customers)
    try:
        print(f"sandbox with {args.customers} customers at {url}")
        floor = fetch_only(url, token, args.concurrency)
        print(f"baseline: HTTP fetch only            {floor:7.1f} s")
        engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
        with tempfile.TemporaryDirectory() as tmp:
            for engine in engines:
                env = {
                    **os.environ,
                    "CSPBILLING_DATABASE_URL": database_url(engine, Path(tmp)),
                    "CSPBILLING_PC_BASE_URL": url,
                    "CSPBILLING_PC_SANDBOX_TOKEN": token,
                }
                run_cli(env, "migrate", "--verbosity", "0")
                first, out = run_cli(env, "sync", "--quiet", "--concurrency", str(args.concurrency))
                second, out2 = run_cli(
                    env, "sync", "--quiet", "--concurrency", str(args.concurrency)
                )
                print(
                    f"{engine:8} first sync (all new)    {first:7.1f} s   "
                    f"{first / floor:4.2f}x the fetch floor"
                )
                print(
                    f"{engine:8} second sync (no change) {second:7.1f} s   "
                    f"{second / floor:4.2f}x   -> {out2.splitlines()[-1]}"
                )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
