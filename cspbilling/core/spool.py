"""Local spool folders for work on large files (an upload copied from the storage to be imported),
which a killed process cannot leave behind for ever.

A folder is named for the machine and the process that made it; it is deleted when its work ends,
and, if that process was killed (kill -9, a lost machine), by the next process on the same machine
that opens a spool folder or runs `sweep_orphan_spools`. The folders live in
FILE_UPLOAD_TEMP_DIR (the system's temporary folder by default), beside Django's upload files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

PREFIX = "cspbilling-spool-"


def spool_root() -> Path:
    return Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())


def _machine() -> str:
    """This machine, in a form safe in a file name (a temporary folder may be shared)."""
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:10]


@contextmanager
def spool_folder(purpose: str) -> Iterator[Path]:
    """A new empty folder, deleted with its content when the block ends."""
    sweep_orphan_spools()
    prefix = f"{PREFIX}{_machine()}-{os.getpid()}-{purpose}-"
    with tempfile.TemporaryDirectory(prefix=prefix, dir=spool_root()) as folder:
        yield Path(folder)


def sweep_orphan_spools() -> int:
    """Delete this machine's spool folders whose process is gone; how many were deleted."""
    removed = 0
    for folder in spool_root().glob(f"{PREFIX}{_machine()}-*"):
        pid = folder.name.removeprefix(f"{PREFIX}{_machine()}-").split("-", 1)[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True
