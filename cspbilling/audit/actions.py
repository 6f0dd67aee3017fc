"""Every audit action, in one enumeration: the log's vocabulary, readable in one place.

`record_event` refuses a string that is not here, so a misspelt action fails its test instead of
writing a word nobody searches for. Names read `<object>.<what happened>`.
"""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    # people and access
    USER_CREATED = "user.created"
    USER_PASSWORD_CHANGED = "user.password_changed"
    USER_UNLOCKED = "user.unlocked"
    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    LOGIN_LOCKED = "login.locked"
    API_TOKEN_ISSUED = "api_token.issued"
    API_TOKEN_REVOKED = "api_token.revoked"

    # customers (ours, and as Partner Center shows them)
    CUSTOMER_BILLING_SETTINGS_CHANGED = "customer.billing_settings_changed"
    CUSTOMER_GROUP_CREATED = "customer_group.created"
    CUSTOMER_GROUP_ASSIGNED = "customer.group_assigned"
    CUSTOMER_DISCOVERED_UPSTREAM = "customer.discovered_upstream"
    CUSTOMER_CHANGED_UPSTREAM = "customer.changed_upstream"
    CUSTOMER_REMOVED_UPSTREAM = "customer.removed_upstream"
    CUSTOMER_REAPPEARED_UPSTREAM = "customer.reappeared_upstream"
    CUSTOMER_BILLING_CONTACT_CHANGED_UPSTREAM = "customer.billing_contact_changed_upstream"

    # subscriptions and their suspensions
    SUBSCRIPTION_DISCOVERED_UPSTREAM = "subscription.discovered_upstream"
    SUBSCRIPTION_CHANGED_UPSTREAM = "subscription.changed_upstream"
    SUBSCRIPTION_REMOVED_UPSTREAM = "subscription.removed_upstream"
    SUBSCRIPTION_REAPPEARED_UPSTREAM = "subscription.reappeared_upstream"
    SUBSCRIPTION_SUSPENSION_REQUESTED = "subscription.suspension_requested"
    SUBSCRIPTION_SUSPENDED = "subscription.suspended"
    SUBSCRIPTION_SUSPENSION_FAILED = "subscription.suspension_failed"
    SUBSCRIPTION_REACTIVATION_REQUESTED = "subscription.reactivation_requested"
    SUBSCRIPTION_REACTIVATED = "subscription.reactivated"
    SUBSCRIPTION_REACTIVATION_WITHDRAWN = "subscription.reactivation_withdrawn"
    SUSPENSION_SEEN_UPSTREAM = "suspension.seen_upstream"
    SUSPENSION_REACTIVATED_UPSTREAM = "suspension.reactivated_upstream"
    SUSPENSION_DELETION_WARNING_SENT = "suspension.deletion_warning_sent"

    # the Partner Center sync
    SYNC_REQUESTED = "sync.requested"
    SYNC_SUCCEEDED = "sync.succeeded"
    SYNC_FAILED = "sync.failed"

    # what 21Vianet bills us
    UPSTREAM_INVOICE_IMPORTED = "upstream.invoice.imported"
    UPSTREAM_INVOICE_REISSUED = "upstream.invoice.reissued"
    UPSTREAM_INVOICE_HEADER_SYNCED = "upstream.invoice.header_synced"
    UPSTREAM_PAYMENT_RECORDED = "upstream.payment.recorded"
    UPSTREAM_FILE_UPLOADED = "upstream.file.uploaded"
    UPSTREAM_FILE_DELETED = "upstream.file.deleted"  # its retention period ended
    UPSTREAM_CUSTOMER_NUMBER_MAPPED = "upstream.customer_number.mapped"
    UPSTREAM_CUSTOMER_NUMBER_UNMAPPED = "upstream.customer_number.unmapped"

    # the outbox
    OUTBOX_RETRY = "outbox.retry"
    OUTBOX_CANCEL = "outbox.cancel"
    OUTBOX_FAILED = "outbox.failed"

    # invoicing
    PRICE_RULE_CREATED = "price_rule.created"
    PRICE_RULE_CHANGED = "price_rule.changed"
    BILLING_RUN_COMPLETED = "billing_run.completed"
    INVOICE_ISSUED = "invoice.issued"
    INVOICE_DISCARDED = "invoice.discarded"
    CREDIT_NOTE_DRAFTED = "credit_note.drafted"
    CREDIT_NOTE_ISSUED = "credit_note.issued"
    CREDIT_NOTE_DISCARDED = "credit_note.discarded"
    UPSTREAM_LINE_SETTLED = "upstream_line.settled_outside_billing"
    UPSTREAM_LINE_SETTLEMENT_RETRACED = "upstream_line.settlement_retraced"
    UPSTREAM_LINE_HELD = "upstream_line.held_for_decision"
    UPSTREAM_LINE_RELEASED = "upstream_line.released_to_billing"
    UPSTREAM_LINE_HOLD_RETRACED = "upstream_line.hold_retraced"
    FAPIAO_REQUESTED = "fapiao.requested"
    FAPIAO_ISSUED = "fapiao.issued"
    FAPIAO_RED_LETTERED = "fapiao.red_lettered"

    # payments
    PAYMENT_RECORDED = "payment.recorded"
    PAYMENT_ALLOCATED = "payment.allocated"
    PAYMENT_REVERSED = "payment.reversed"
    CREDIT_APPLIED = "payment.credit_applied"
    ALLOCATION_RELEASED = "payment.allocation_released"
    CREDIT_REFUNDED = "payment.credit_refunded"
    BANK_ACCOUNT_CREATED = "bank_account.created"
    BANK_STATEMENT_IMPORTED = "bank_statement.imported"
    BANK_LINE_ASSIGNED = "bank_statement.line_assigned"

    # business calendar
    CALENDAR_DAY_SET = "calendar.day_set"
    CALENDAR_DAY_REMOVED = "calendar.day_removed"

    # collections (issue 16): add below
    DISPUTE_HOLD_PLACED = "collections.hold_placed"
    DISPUTE_HOLD_RELEASED = "collections.hold_released"
    POLICY_DRAFTED = "collections.policy_drafted"
    POLICY_PUBLISHED = "collections.policy_published"
    POLICY_ACKNOWLEDGED = "collections.policy_acknowledged"
    COLLECTIONS_ACTION = "collections.action"
    COLLECTIONS_APPROVAL_DECIDED = "collections.approval_decided"
    COLLECTIONS_BREAKER_TRIPPED = "collections.breaker_tripped"
    COLLECTIONS_PAUSE_CHANGED = "collections.pause_changed"
    PROMISE_RECORDED = "collections.promise_recorded"
    EXEMPTION_GRANTED = "collections.exemption_granted"
    COLLECTIONS_REINSTATED = "collections.reinstated"
    COLLECTIONS_TASK_CLOSED = "collections.task_closed"

    # cases (issue 17): add below
    CASE_OPENED = "case.opened"
    CASE_ASSIGNED = "case.assigned"
    CASE_PRIORITY_CHANGED = "case.priority_changed"
    CASE_RECATEGORIZED = "case.recategorized"
    CASE_CUSTOMER_IDENTIFIED = "case.customer_identified"
    CASE_REPLIED = "case.replied"
    CASE_NOTE_ADDED = "case.note_added"
    CASE_CUSTOMER_WROTE = "case.customer_wrote"
    CASE_WAITING_ON_CUSTOMER = "case.waiting_on_customer"
    CASE_ESCALATED = "case.escalated"
    CASE_ESCALATION_ENDED = "case.escalation_ended"
    CASE_ROUTED_TO_TECHNICAL = "case.routed_to_technical"
    CASE_RESOLVED = "case.resolved"
    CASE_REOPENED = "case.reopened"
    CASE_CLOSED = "case.closed"
    CASE_RATED = "case.rated"
    CASE_SLA_WARNED = "case.sla_warned"
    CASE_CANNED_RESPONSE_SAVED = "case.canned_response_saved"
    # escalations (issue 18)
    ESCALATION_PREPARED = "escalation.prepared"
    ESCALATION_EDITED = "escalation.edited"
    ESCALATION_CANCELLED = "escalation.cancelled"
    ESCALATION_WITHDRAWN = "escalation.withdrawn"
    ESCALATION_FILING = "escalation.filing"
    ESCALATION_FILED = "escalation.filed"
    ESCALATION_ANSWERED = "escalation.answered"
    ESCALATION_INFO_REQUESTED = "escalation.info_requested"
    ESCALATION_POLLED = "escalation.polled"
    ESCALATION_REMINDED = "escalation.reminded"
    ESCALATION_CUSTOMER_UPDATED = "escalation.customer_updated"
    ESCALATION_UPHELD = "escalation.upheld"
    ESCALATION_REJECTED = "escalation.rejected"
    ESCALATION_CREDIT_MATCHED = "escalation.credit_matched"
    ESCALATION_CREDIT_FLAGGED = "escalation.credit_flagged"
    ESCALATION_CREDIT_LINE_REJECTED = "escalation.credit_line_rejected"
    ESCALATION_SHORTFALL_MATCHED = "escalation.shortfall_matched"
    ESCALATION_CREDITED = "escalation.credited"
    ESCALATION_CREDIT_BILLED = "escalation.credit_billed"
    ESCALATION_CLOSED = "escalation.closed"


def audit_action(value: str) -> AuditAction:
    """The action for a string, or ValueError naming the unknown one."""
    try:
        return AuditAction(value)
    except ValueError:
        raise ValueError(
            f"unknown audit action {value!r}: add it to cspbilling/audit/actions.py"
        ) from None
