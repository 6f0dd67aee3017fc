"""The subscriptions' write path: suspending and reactivating (services/suspensions.py),
Partner Center's answers and what the sync saw (services/upstream.py), and the data-deletion
warnings (services/deletion_warnings.py)."""

from cspbilling.subscriptions.services.deletion_warnings import (
    do_send_data_deletion_warnings,
    send_data_deletion_warnings,
)
from cspbilling.subscriptions.services.suspensions import (
    GONE_STATUSES,
    SuspensionError,
    do_reactivate_subscription,
    do_suspend_subscription,
    reactivate_subscription,
    suspend_subscription,
)
from cspbilling.subscriptions.services.upstream import (
    SEEN_SUSPENDED_NOTE,
    do_record_upstream_failure,
    do_record_upstream_state,
    record_upstream_failure,
    record_upstream_state,
    record_upstream_status_changes,
    withdraw_cancelled_command,
)

__all__ = [
    "GONE_STATUSES",
    "SEEN_SUSPENDED_NOTE",
    "SuspensionError",
    "do_reactivate_subscription",
    "do_record_upstream_failure",
    "do_record_upstream_state",
    "do_send_data_deletion_warnings",
    "do_suspend_subscription",
    "reactivate_subscription",
    "record_upstream_failure",
    "record_upstream_state",
    "record_upstream_status_changes",
    "send_data_deletion_warnings",
    "suspend_subscription",
    "withdraw_cancelled_command",
]
