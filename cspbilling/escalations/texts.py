"""What the customer reads about an escalation, in its language (this app's catalogue:
zh-Hans, en, fr). 21Vianet's side is in Chinese (request_text.py) and staff's in English."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# An escalation's state as the customer reads it on its case (portal), in plain words.
CUSTOMER_STATUS = {
    "prepared": gettext_lazy("We are preparing the request to 21Vianet."),
    "filing": gettext_lazy("We are preparing the request to 21Vianet."),
    "filed": gettext_lazy("21Vianet is reviewing the charges you disputed."),
    "info_requested": gettext_lazy(
        "21Vianet asked us for more details, and we are providing them."
    ),
    "credit_pending": gettext_lazy(
        "21Vianet agreed with you. We will issue your credit note as soon as their credit "
        "reaches us."
    ),
    "credited": gettext_lazy("21Vianet agreed with you, and your credit note has been issued."),
    "credited_on_invoice": gettext_lazy(
        "21Vianet agreed with you, and its credit was deducted on a later invoice of yours."
    ),
    "confirmed": gettext_lazy("21Vianet reviewed the charges and confirmed them."),
    "withdrawn": gettext_lazy(
        "We withdrew the request to 21Vianet and are handling your case ourselves."
    ),
    "cancelled": gettext_lazy(
        "We did not send the request to 21Vianet after all and are handling your case ourselves."
    ),
}


def escalated(language: str, *, case: str, escalation: str, days: int) -> str:
    with translation.override(language):
        return _(
            "We have escalated your case %(case)s to 21Vianet, which operates Microsoft cloud "
            "services in China, on your behalf (our reference %(escalation)s). We remain your "
            "contact throughout: 21Vianet answers us, and we will write to you at least every "
            "%(days)s business days until it is settled. The disputed amount is not collected "
            "while it is under review."
        ) % {"case": case, "escalation": escalation, "days": days}


def still_escalated(language: str, *, case: str, escalation: str, days: int) -> str:
    with translation.override(language):
        return _(
            "Your case %(case)s is still under review by 21Vianet (our reference "
            "%(escalation)s). We have followed it up and will write to you again within "
            "%(days)s business days, or as soon as they answer."
        ) % {"case": case, "escalation": escalation, "days": days}


def upheld_credit_pending(language: str, *, amount: Decimal, currency: str) -> str:
    with translation.override(language):
        return _(
            "Good news: 21Vianet has upheld your dispute and will credit %(amount)s %(currency)s. "
            "We will issue your credit note as soon as their credit reaches us; until then the "
            "disputed amount is not collected."
        ) % {"amount": amount, "currency": currency}


def credited(
    language: str,
    *,
    notes: list[tuple[str, Decimal, str, str]],
    billed: tuple[str, Decimal, str] | None = None,
) -> str:
    """notes: (credit note number, amount, currency, invoice number), one per invoice; billed:
    (invoice number, amount, currency) when part of the credit was already deducted on a later
    invoice of ours."""
    with translation.override(language):
        if billed is not None:
            return _credited_rest(notes, billed)
        if len(notes) == 1:
            [(number, amount, currency, invoice)] = notes
            return _(
                "21Vianet upheld your dispute. We have issued credit note %(number)s for "
                "%(amount)s %(currency)s on invoice %(invoice)s. Thank you for your patience."
            ) % {"number": number, "amount": amount, "currency": currency, "invoice": invoice}
        return _(
            "21Vianet upheld your dispute, which concerned several of your invoices. We have "
            "issued one credit note for each: %(notes)s. Thank you for your patience."
        ) % {"notes": _each(notes)}


def _each(notes: list[tuple[str, Decimal, str, str]]) -> str:
    return "; ".join(
        _("credit note %(number)s for %(amount)s %(currency)s on invoice %(invoice)s")
        % {"number": number, "amount": amount, "currency": currency, "invoice": invoice}
        for number, amount, currency, invoice in notes
    )


def _credited_rest(
    notes: list[tuple[str, Decimal, str, str]], billed: tuple[str, Decimal, str]
) -> str:
    invoice, amount, currency = billed
    return _(
        "21Vianet upheld your dispute. Part of its credit, %(amount)s %(currency)s, is already "
        "deducted on your invoice %(invoice)s. For the rest we have issued %(notes)s. Thank you "
        "for your patience."
    ) % {"amount": amount, "currency": currency, "invoice": invoice, "notes": _each(notes)}


def shortfall_credited(language: str, *, notes: list[tuple[str, Decimal, str, str]]) -> str:
    """21Vianet's second credit made up a short first one: notes as for `credited`."""
    with translation.override(language):
        return _(
            "21Vianet has now credited the rest of the amount it agreed to in your dispute. We "
            "have issued %(notes)s. Thank you for your patience."
        ) % {"notes": _each(notes)}


def credited_on_invoice(language: str, *, invoice: str, amount: Decimal, currency: str) -> str:
    """21Vianet's credit was already deducted on `invoice`, a later invoice of ours."""
    with translation.override(language):
        return _(
            "21Vianet upheld your dispute. Its credit, %(amount)s %(currency)s, is already "
            "deducted on your invoice %(invoice)s, so no separate credit note is needed; the "
            "invoice you disputed is due again under your payment terms. Thank you for your "
            "patience."
        ) % {"amount": amount, "currency": currency, "invoice": invoice}


def rejected(language: str, *, reason: str) -> str:
    with translation.override(language):
        return _(
            "21Vianet has reviewed the charges you disputed and confirmed that they are correct. "
            "Their explanation: %(reason)s. The amount is due again under your payment terms. "
            "If you have questions, simply reply to this email."
        ) % {"reason": reason}
