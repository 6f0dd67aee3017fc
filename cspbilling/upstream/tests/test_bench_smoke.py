"""The benchmark runs and prints its figures (smoke size; the real run is in bench/)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


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
            "test_up_bench",
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
