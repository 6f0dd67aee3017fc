"""The invoice state machine: a draft is issued once; an issued invoice never changes again
(corrections are credit notes).

    draft ──▶ issued
"""

from __future__ import annotations

import datetime as dt

from cspbilling.core.transitions import StateMachine
from cspbilling.core.transitions import TransitionError as TransitionError
from cspbilling.invoicing.models import Invoice, InvoiceStatus

S = InvoiceStatus
MACHINE = StateMachine("invoice", {S.DRAFT: {S.ISSUED}, S.ISSUED: set()})


def issue(invoice: Invoice, *, number: str, on: dt.date, payment_terms_days: int) -> None:
    MACHINE.move(invoice, S.ISSUED)
    invoice.number = number
    invoice.issued_on = on
    invoice.due_on = on + dt.timedelta(days=payment_terms_days)
