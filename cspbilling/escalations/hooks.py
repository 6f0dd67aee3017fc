"""What escalations registers into the apps below it (they never import escalations): the
case mail intake asks it whether a mail is 21Vianet answering; cases asks which of a case's
escalations still wait on 21Vianet (such a case is not resolved or closed by hand, and only
they make it `escalated`); the upstream import tells it that lines arrived (a promised credit
may be among them); invoicing tells it that a settled or held line followed a re-issue."""

from __future__ import annotations

import logging

from django.db import transaction

from cspbilling.cases.models import Case
from cspbilling.cases.upstream_escalations import PendingEscalation
from cspbilling.escalations.models import AWAITING_OUTCOME, Escalation
from cspbilling.upstream.models import ImportBatch

log = logging.getLogger(__name__)


def _credits_may_have_arrived(batch: ImportBatch) -> None:
    """Inside the import's transaction, in a savepoint: a credit that cannot be turned into a
    credit note (say, its invoice line was credited by hand meanwhile), or whose customer
    another transaction holds (the import must not wait for it: see `match_credits`), never
    fails the import; it stays unmatched, shown on the escalations page, and the periodic job
    tries again."""
    from cspbilling.escalations.services.matching import match_credits

    try:
        with transaction.atomic():
            match_credits(actor=f"import:{batch.pk}", nowait=True)
    except Exception:
        log.exception("matching promised credits after import %s failed", batch.pk)


def _credit_line_replaced(old_id: int, new_id: int, actor: str) -> None:
    """Inside the re-issue's transaction: invoicing re-pointed a settled or held line (audited
    there) to the line of the re-issue that replaced it; the escalations that name the old line
    (matched, making up a short credit, or flagged) name the new one."""
    from cspbilling.escalations.services.settling import name_replacement_line

    name_replacement_line(old_id=old_id, new_id=new_id)


def _pending(case: Case) -> list[PendingEscalation]:
    waiting = Escalation.objects.filter(case=case, status__in=AWAITING_OUTCOME).order_by("pk")
    return [
        PendingEscalation(
            reference=e.reference,
            summary=f"{e.reference} ({e.status.replace('_', ' ')}"
            + (f", ticket {e.ticket_number})" if e.ticket_number else ")"),
        )
        for e in waiting
    ]


def register() -> None:
    from cspbilling.cases.upstream_escalations import register_pending_escalations
    from cspbilling.cases.upstream_mail import register_upstream_mail_matcher
    from cspbilling.escalations.services.tracking import match_upstream_mail
    from cspbilling.invoicing.hooks import on_upstream_line_replaced
    from cspbilling.upstream.import_listeners import on_lines_imported

    register_upstream_mail_matcher(match_upstream_mail)
    register_pending_escalations(_pending)
    on_lines_imported(_credits_may_have_arrived)
    on_upstream_line_replaced(_credit_line_replaced)
