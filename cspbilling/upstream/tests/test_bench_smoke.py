"""The benchmark runs and prints its figures (smoke size; the real run is in bench/)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


def _test_database_suffix() -> str:
    name = connection.settings_dict["NAME"]
    return hashlib.sha256(f"{name}:{ROOT}".encode()).hexdigest()[:10]


def test_benchmark_runs_at_a_small_size(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "upstream_import.py"),
            "--lines",
            "500",
            "--engine",
            "both",
            "--workdir",
            str(tmp_path),
            "--pg-database",
            # One per test database: two checkouts testing at once never share it.
            f"test_up_bench_{_test_database_suffix()}",
            "--repeat",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for engine in ("postgresql", "sqlite"):
        assert f"{engine}: floor " in result.stdout and "peak RSS" in result.stdout
    assert result.stdout.count("imported 500 lines") == 2
