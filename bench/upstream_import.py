"""Benchmark: import a 1,000,000-line license-based reconciliation file, against the floors.

    .venv/bin/python bench/upstream_import.py [--lines 1000000] [--engine postgres|sqlite|both]

The floors are the engines' own bulk loaders into an unindexed table of text columns:
`psql \\copy` on PostgreSQL, the sqlite3 shell's `.import` on SQLite. The import is the real
command (`cspbilling upstream import FILE`) in a child process, whose peak RSS is reported.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cspbilling.settings")
django.setup()  # only to read the documented header from the product's column table

from cspbilling.upstream.columns import LICENSE_COLUMNS_GLOBAL  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
HEADER = list(LICENSE_COLUMNS_GLOBAL)
CITIES = [
    "北京",
    "上海",
    "广州",
    "深圳",
    "杭州",
    "成都",
    "南京",
    "武汉",
    "西安",
    "苏州",
    "天津",
    "重庆",
]
WORDS = [
    "华夏",
    "东方",
    "星辰",
    "云海",
    "智联",
    "恒通",
    "博远",
    "启明",
    "瑞丰",
    "新创",
    "长城",
    "天成",
    "汇达",
    "鼎盛",
    "金桥",
]
TRADES = ["科技", "信息技术", "网络", "软件", "数据", "贸易", "咨询", "教育", "医疗", "物流"]
OFFERS = [
    ("CFQ7TTC0LF8Q", "Office 365 E3", 18000),
    ("CFQ7TTC0LDPB", "Microsoft 365 商业标准版", 9300),
    ("CFQ7TTC0LH18", "Exchange Online (Plan 1)", 3000),
    ("CFQ7TTC0LF8R", "Office 365 E1", 6000),
    ("CFQ7TTC0MM8R", "Microsoft 365 E5", 42700),
    ("CFQ7TTC0LHSF", "Microsoft Teams Rooms, 会议室", 12050),
]
CHARGES = ["Cycle fee"] * 8 + ["Prorate fees when purchase", "Cancel fee", "Renew fee"]


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def generate(path: Path, lines: int, *, seed: int = 20240201, customers: int = 20000) -> int:
    """Write the file; return the sum of TotalForCustomer in cents."""
    rng = random.Random(seed)
    people = []
    for _ in range(customers):
        tenant = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        name = f"{rng.choice(CITIES)}{rng.choice(WORDS)}{rng.choice(TRADES)}有限公司"
        if rng.random() < 0.05:
            name += ", 分公司"
        subs = []
        for _ in range(rng.randint(1, 6)):
            sub = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            billing = "us" + "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=14))
            subs.append((sub, rng.choice(OFFERS), billing))
        people.append((tenant, name, subs))
    grand_total = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADER)
        n = 0
        while n < lines:
            tenant, name, subs = people[rng.randrange(customers)]
            for sub_id, (durable, offer_name, price), billing_id in subs:
                if n >= lines:
                    break
                qty = rng.randint(1, 500)
                charge = rng.choice(CHARGES)
                amount = qty * price * (-1 if charge == "Cancel fee" else 1)
                tax = (abs(amount) * 6 + 50) // 100 * (1 if amount >= 0 else -1)
                grand_total += amount + tax
                writer.writerow(
                    [
                        "9f3e8d7c-0000-4000-8000-000000000001",
                        tenant,
                        name,
                        "6011234",
                        "",
                        f"ord{rng.getrandbits(40):x}",
                        billing_id,
                        sub_id,
                        f"MS-AZR-{durable[-4:]}",
                        durable,
                        offer_name,
                        "2024-01-01",
                        "2025-01-01",
                        "2024-02-01",
                        "2024-02-29",
                        charge,
                        money(price),
                        qty,
                        money(amount),
                        "0",
                        money(amount),
                        money(tax),
                        money(amount + tax),
                        "元",
                        f"t{tenant[:8]}.partner.onmschina.cn",
                        offer_name,
                        "",
                        "Monthly",
                        "G012345678",
                    ]
                )
                n += 1
    return grand_total


class BackendCpu:
    """CPU seconds of the PostgreSQL backends serving one database, polled from /proc.

    Wall-clock on a shared 2-core machine is noisy; CPU time (the client's plus its server
    backend's) is the load-robust figure. A backend's counters are read every 20 ms until it
    exits, so at most its last 20 ms are missed (the same for the floor and the import).
    """

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, database: str):
        self.title = f" {database} "  # in the backend's process title: user, database, client
        self.seconds: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> BackendCpu:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def _poll(self) -> None:
        rounds = 0
        while not self.stop.wait(0.02):
            if rounds % 5 == 0:  # look for new backends every 100 ms
                self._discover()
            rounds += 1
            for pid in list(self.seconds):
                self._read(pid)

    def _discover(self) -> None:
        if self.title == "  ":  # no database: nothing to watch
            return
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) in self.seconds:
                continue
            try:
                title = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"postgres: ") and self.title.encode() in title:
                self.seconds[int(entry.name)] = 0.0
                self._read(int(entry.name))

    def _read(self, pid: int) -> None:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return  # exited: keep its last reading
        self.seconds[pid] = (int(fields[11]) + int(fields[12])) / self.TICK


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def timed(cmd: list[str], env: dict | None = None, database: str = "") -> dict:
    """Run a command: seconds, peak RSS in MiB, its CPU seconds (and its PostgreSQL backend's,
    when `database` names one), output."""
    with BackendCpu(database) as backend:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = proc.stdout.read().decode()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        time.sleep(0.05)  # the backend's last readings
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"{' '.join(cmd)} failed:\n{out}")
    return {
        "seconds": elapsed,
        "rss": usage.ru_maxrss // 1024,
        "cpu": usage.ru_utime + usage.ru_stime,
        "server_cpu": backend.total,
        "out": out,
    }


def migrate(url: str) -> dict:
    env = {**os.environ, "CSPBILLING_DATABASE_URL": url}
    subprocess.run([str(PYTHON), str(ROOT / "manage.py"), "migrate", "-v0"], env=env, check=True)
    return env


def import_command(path: Path) -> list[str]:
    return [str(PYTHON), "-m", "cspbilling.cli", "upstream", "import", str(path), "--no-progress"]


def bench_postgres(path: Path, db: str) -> dict:
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-v", "ON_ERROR_STOP=1"]
    subprocess.run([*psql, "-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {db}"], check=True)
    subprocess.run([*psql, "-d", "postgres", "-c", f"CREATE DATABASE {db}"], check=True)
    columns = ", ".join(f'"{name}" text' for name in HEADER)
    subprocess.run([*psql, "-d", db, "-c", f"CREATE TABLE floor ({columns})"], check=True)
    # Each timed load starts from a checkpoint, so neither pays for flushing the other's WAL.
    checkpoint = [*psql, "-d", db, "-c", "CHECKPOINT"]
    subprocess.run(checkpoint, check=True)
    floor = timed(
        [*psql, "-d", db, "-c", f"\\copy floor FROM '{path}' WITH (FORMAT csv, HEADER true)"],
        database=db,
    )
    env = migrate(f"postgresql://postgres@127.0.0.1:5432/{db}")
    subprocess.run(checkpoint, check=True)
    run = timed(import_command(path), env, database=db)
    subprocess.run([*psql, "-d", "postgres", "-c", f"DROP DATABASE {db} WITH (FORCE)"], check=True)
    return result("postgresql", floor, run)


def result(engine: str, floor: dict, run: dict) -> dict:
    return {
        "engine": engine,
        "floor": floor["seconds"],
        "import": run["seconds"],
        "rss": run["rss"],
        "out": run["out"],
        # CPU seconds: the client's, then its server backend's (PostgreSQL only)
        "floor_cpu": (floor["cpu"], floor["server_cpu"]),
        "import_cpu": (run["cpu"], run["server_cpu"]),
    }


def bench_sqlite(path: Path, workdir: Path) -> dict:
    floor_db, app_db = workdir / "floor.sqlite3", workdir / "app.sqlite3"
    for old in workdir.glob("*.sqlite3*"):
        old.unlink()
    floor = timed(["sqlite3", str(floor_db), f".import --csv {path} floor"])
    env = migrate(f"sqlite:///{app_db}")
    return result("sqlite", floor, timed(import_command(path), env))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--pg-database", default="bench_upstream")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="measure floor and import this many times each, alternating; report the medians "
        "(single runs here vary by about ±0.5 s)",
    )
    parser.add_argument(
        "--reuse-file", action="store_true", help="use the file a previous run generated"
    )
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / f"license-{args.lines}.csv"
    if args.reuse_file and path.exists():
        print(f"reusing {path} ({path.stat().st_size / 1e6:.0f} MB)")
    else:
        start = time.perf_counter()
        total = generate(path, args.lines)
        print(
            f"generated {args.lines:,} lines, {path.stat().st_size / 1e6:.0f} MB, total "
            f"{money(total)} CNY, in {time.perf_counter() - start:.1f} s: {path}"
        )
    runs = {"postgresql": [], "sqlite": []}
    print(f"load average before: {load_average()}")
    for _ in range(max(1, args.repeat)):
        if args.engine in ("postgres", "both"):
            runs["postgresql"].append(bench_postgres(path, args.pg_database))
        if args.engine in ("sqlite", "both"):
            runs["sqlite"].append(bench_sqlite(path, args.workdir))
    results = [rs[-1] for rs in runs.values() if rs]
    targets = {"postgresql": 2.0, "sqlite": 3.0}
    for engine, rs in runs.items():
        if not rs:
            continue
        floor = statistics.median(r["floor"] for r in rs)
        took = statistics.median(r["import"] for r in rs)
        ratio = took / floor
        verdict = "meets" if ratio <= targets[engine] else "MISSES"
        each = ", ".join(f"{r['floor']:.2f}/{r['import']:.2f}" for r in rs)
        print(
            f"{engine}: floor {floor:.2f} s, import {took:.2f} s (medians of {len(rs)}), "
            f"ratio {ratio:.2f} (target ≤ {targets[engine]:.0f}×: {verdict}), "
            f"peak RSS {max(r['rss'] for r in rs)} MiB; each run floor/import: {each}"
        )
        floor_cpu = [sum(r["floor_cpu"]) for r in rs]
        import_cpu = [sum(r["import_cpu"]) for r in rs]
        print(
            f"{engine} CPU (client + server backend, medians): floor "
            f"{statistics.median(floor_cpu):.2f} s, import {statistics.median(import_cpu):.2f} s, "
            f"ratio {statistics.median(import_cpu) / statistics.median(floor_cpu):.2f}; each run "
            + ", ".join(
                f"{r['floor_cpu'][0]:.2f}+{r['floor_cpu'][1]:.2f}/"
                f"{r['import_cpu'][0]:.2f}+{r['import_cpu'][1]:.2f}"
                for r in rs
            )
        )
    print(f"load average after: {load_average()}")
    for r in results:
        print(f"--- {r['engine']} import output ---\n{r['out'].strip()}")


if __name__ == "__main__":
    main()
