"""Escalation services: the only write path of escalations (steps, and their `do_*` entry
points)."""

from cspbilling.escalations.services.decisions import (
    accept_larger_credit,
    do_accept_larger_credit,
    do_reject_credit_line,
    reject_credit_line,
)
from cspbilling.escalations.services.events import EscalationError
from cspbilling.escalations.services.filing import (
    do_file_through_api,
    do_record_ticket_number,
    record_ticket_number,
)
from cspbilling.escalations.services.matching import do_match_credits, match_credits
from cspbilling.escalations.services.outcome import (
    do_record_rejected,
    do_record_upheld,
    record_rejected,
    record_upheld,
)
from cspbilling.escalations.services.prepare import (
    AlreadyEscalated,
    cancel_escalation,
    do_cancel_escalation,
    do_edit_request,
    do_escalate_case,
    edit_request,
    escalate_case,
)
from cspbilling.escalations.services.sync import do_sync_escalations
from cspbilling.escalations.services.tracking import (
    do_record_information_given,
    do_record_upstream_answer,
    do_send_reminders,
    record_information_given,
    record_upstream_answer,
)
from cspbilling.escalations.services.withdrawal import (
    do_withdraw_escalation,
    withdraw_escalation,
)

__all__ = [
    "accept_larger_credit",
    "do_accept_larger_credit",
    "AlreadyEscalated",
    "EscalationError",
    "cancel_escalation",
    "do_cancel_escalation",
    "do_edit_request",
    "do_escalate_case",
    "do_file_through_api",
    "do_match_credits",
    "do_record_information_given",
    "do_record_rejected",
    "do_record_ticket_number",
    "do_record_upheld",
    "do_record_upstream_answer",
    "do_reject_credit_line",
    "do_send_reminders",
    "do_sync_escalations",
    "do_withdraw_escalation",
    "edit_request",
    "escalate_case",
    "match_credits",
    "record_information_given",
    "record_rejected",
    "record_ticket_number",
    "record_upheld",
    "record_upstream_answer",
    "reject_credit_line",
    "withdraw_escalation",
]
