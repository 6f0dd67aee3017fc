"""The sync's write path: runs (request, start, execute) and applying a snapshot to the mirror."""

from cspbilling.sync.services.apply import (
    SyncReport,
    apply_snapshot_to_mirror,
    sync_from_partner_center,
)
from cspbilling.sync.services.runs import (
    ABANDONED_AFTER,
    SyncRefused,
    execute_sync_run,
    request_sync,
    start_sync_run,
)

__all__ = [
    "ABANDONED_AFTER",
    "SyncRefused",
    "SyncReport",
    "apply_snapshot_to_mirror",
    "execute_sync_run",
    "request_sync",
    "start_sync_run",
    "sync_from_partner_center",
]
