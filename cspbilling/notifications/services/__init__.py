"""The outbox's write path: queueing (steps in the caller's transaction), staff actions,
delivery (claim, send, outcome) and the worker's housekeeping."""

from cspbilling.notifications.services.bulk_outbox import EmailToQueue, queue_emails
from cspbilling.notifications.services.delivery import (
    Claim,
    claim_message,
    do_claim_message,
    do_deliver_message,
    do_record_delivered,
    do_record_failure,
    record_delivered,
    record_failure,
    retry_delay,
)
from cspbilling.notifications.services.outbox import (
    EMAIL_PATTERN,
    KEY_PATTERN,
    OutboxError,
    cancel_message,
    do_cancel_message,
    do_retry_message,
    enqueue_delivery,
    queue_email,
    queue_partner_center_command,
    queue_webhook,
    retry_message,
)
from cspbilling.notifications.services.scheduling import (
    do_recover_stalled_messages,
    do_schedule_due_jobs,
    requeue_messages,
    start_periodic_run,
)

__all__ = [
    "EmailToQueue",
    "queue_emails",
    "EMAIL_PATTERN",
    "KEY_PATTERN",
    "Claim",
    "OutboxError",
    "cancel_message",
    "claim_message",
    "do_cancel_message",
    "do_claim_message",
    "do_deliver_message",
    "do_recover_stalled_messages",
    "do_record_delivered",
    "do_record_failure",
    "do_retry_message",
    "do_schedule_due_jobs",
    "enqueue_delivery",
    "queue_email",
    "queue_partner_center_command",
    "queue_webhook",
    "record_delivered",
    "record_failure",
    "requeue_messages",
    "retry_delay",
    "retry_message",
    "start_periodic_run",
]
