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

__all__ = [
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
