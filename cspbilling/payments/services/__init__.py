"""The write path of payments. Each step runs inside the caller's transaction; edges call its
`do_` entry point (see cspbilling/core/services.py)."""

from cspbilling.payments.services.payments import (
    PaymentError,
    allocate_payment,
    do_allocate_payment,
    do_record_payment,
    do_refund_credit,
    do_reverse_payment,
    record_payment,
    refund_credit,
    reverse_payment,
)
from cspbilling.payments.services.statements import (
    assign_statement_line,
    bank_account_named,
    do_assign_statement_line,
    do_bank_account_named,
    do_import_statement,
    import_statement,
)

__all__ = [
    "assign_statement_line",
    "bank_account_named",
    "do_bank_account_named",
    "do_assign_statement_line",
    "do_import_statement",
    "import_statement",
    "PaymentError",
    "allocate_payment",
    "do_allocate_payment",
    "do_record_payment",
    "do_refund_credit",
    "do_reverse_payment",
    "record_payment",
    "refund_credit",
    "reverse_payment",
]
