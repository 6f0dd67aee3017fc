"""The state machines of invoicing. An invoice draft is issued once and never changes again
(corrections are credit notes); a credit note is issued or discarded; a fapiao is requested,
issued, and red-lettered once red-letter fapiaos reverse it whole.

    invoice       draft ──▶ issued | discarded (a supplementary draft only: see services)
    credit note   draft ──▶ issued | discarded
    fapiao        requested ──▶ issued ──▶ red_lettered
"""

from __future__ import annotations

import datetime as dt

from cspbilling.core.transitions import StateMachine
from cspbilling.core.transitions import TransitionError as TransitionError
from cspbilling.invoicing.models import (
    CreditNote,
    CreditNoteStatus,
    Fapiao,
    FapiaoStatus,
    Invoice,
    InvoiceStatus,
)

S = InvoiceStatus
MACHINE = StateMachine(
    "invoice", {S.DRAFT: {S.ISSUED, S.DISCARDED}, S.ISSUED: set(), S.DISCARDED: set()}
)
C = CreditNoteStatus
CREDIT_NOTE = StateMachine(
    "credit note", {C.DRAFT: {C.ISSUED, C.DISCARDED}, C.ISSUED: set(), C.DISCARDED: set()}
)
F = FapiaoStatus
FAPIAO = StateMachine(
    "fapiao", {F.REQUESTED: {F.ISSUED}, F.ISSUED: {F.RED_LETTERED}, F.RED_LETTERED: set()}
)


def issue(invoice: Invoice, *, number: str, on: dt.date, payment_terms_days: int) -> None:
    MACHINE.move(invoice, S.ISSUED)
    invoice.number = number
    invoice.issued_on = on
    invoice.due_on = on + dt.timedelta(days=payment_terms_days)


def discard(invoice: Invoice) -> None:
    MACHINE.move(invoice, S.DISCARDED)


def issue_credit_note(note: CreditNote, *, number: str, on: dt.date) -> None:
    CREDIT_NOTE.move(note, C.ISSUED)
    note.number = number
    note.issued_on = on


def discard_credit_note(note: CreditNote) -> None:
    CREDIT_NOTE.move(note, C.DISCARDED)


def record_fapiao_issued(fapiao: Fapiao, *, number: str, on: dt.date) -> None:
    FAPIAO.move(fapiao, F.ISSUED)
    fapiao.number = number
    fapiao.issued_on = on


def red_letter(fapiao: Fapiao) -> None:
    FAPIAO.move(fapiao, F.RED_LETTERED)
