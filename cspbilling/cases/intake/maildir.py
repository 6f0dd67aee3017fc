"""`cspbilling mail ingest DIR`: every unseen message of a Maildir, then marked seen (moved to
cur/ with the S flag). Re-running is safe: a message already stored is a duplicate."""

from __future__ import annotations

import mailbox
from collections import Counter
from pathlib import Path

from cspbilling.cases.services.intake import IntakeResult, do_ingest_email


def ingest_maildir(path: Path) -> tuple[Counter, list[tuple[str, IntakeResult]]]:
    if not (path / "new").is_dir() or not (path / "cur").is_dir():
        raise ValueError(f"{path} is not a Maildir (it needs new/ and cur/)")
    box = mailbox.Maildir(path, factory=None, create=False)
    outcomes: Counter = Counter()
    results = []
    for key in sorted(box.keys()):
        message = box.get_message(key)
        if "S" in message.get_flags():
            continue
        result = do_ingest_email(raw=box.get_bytes(key))
        outcomes[result.outcome] += 1
        results.append((key, result))
        message.set_subdir("cur")
        message.add_flag("S")
        box[key] = message
    return outcomes, results
