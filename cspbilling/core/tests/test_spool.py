"""Spool folders: deleted when their work ends, and those of a killed process by the next one."""

from __future__ import annotations

import os
import subprocess

import pytest

from cspbilling.core.spool import PREFIX, _machine, spool_folder, sweep_orphan_spools


@pytest.fixture
def root(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return tmp_path


def _dead_pid() -> int:
    finished = subprocess.Popen(["true"])
    finished.wait()
    return finished.pid


def test_a_spool_folder_is_deleted_when_its_work_ends_even_on_an_error(root):
    with pytest.raises(RuntimeError), spool_folder("upload") as folder:
        (folder / "upload.csv").write_bytes(b"x" * 1000)
        assert folder.parent == root
        raise RuntimeError("the import failed")
    assert list(root.iterdir()) == []


def test_a_killed_process_s_folder_is_swept_and_living_ones_are_kept(root):
    dead = root / f"{PREFIX}{_machine()}-{_dead_pid()}-upload-abc"
    alive = root / f"{PREFIX}{_machine()}-{os.getppid()}-upload-def"
    other_machine = root / f"{PREFIX}0123456789-{_dead_pid()}-upload-ghi"
    unrelated = root / "someone-else"
    for folder in (dead, alive, other_machine, unrelated):
        folder.mkdir()
        (folder / "upload.csv").write_bytes(b"x")
    with spool_folder("upload") as mine:  # opening one sweeps first
        assert sorted(p.name for p in root.iterdir()) == sorted(
            p.name for p in (alive, other_machine, unrelated, mine)
        )
    assert sweep_orphan_spools() == 0
