"""How a suspension is explained to the customer (email and portal), in its language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cspbilling.subscriptions.models import SuspensionReason

CUSTOMER_REASON = {
    SuspensionReason.NON_PAYMENT: _("payment for your account is overdue"),
    SuspensionReason.FRAUD: _("we detected activity that may be fraudulent"),
    SuspensionReason.MISUSE: _("the service was used in breach of its terms of use"),
    SuspensionReason.CUSTOMER_REQUEST: _("you asked us to suspend it"),
    SuspensionReason.OTHER: _("of an administrative matter on your account"),
}

CUSTOMER_NEXT_STEP = {
    SuspensionReason.NON_PAYMENT: _(
        "Pay the overdue amount, or contact your billing team to agree a payment date; "
        "we reactivate the subscription as soon as the payment is received."
    ),
    SuspensionReason.CUSTOMER_REQUEST: _(
        "Contact your billing team when you want the subscription reactivated."
    ),
}
DEFAULT_NEXT_STEP = _("Contact your billing team to resolve the matter and restore access.")


def customer_reason(reason: str) -> str:
    return str(CUSTOMER_REASON.get(reason, CUSTOMER_REASON[SuspensionReason.OTHER]))


def customer_next_step(reason: str) -> str:
    return str(CUSTOMER_NEXT_STEP.get(reason, DEFAULT_NEXT_STEP))
