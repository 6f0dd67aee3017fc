"""The read side of escalations: the list (age, upstream status, next reminder, credits to
check), a customer's history, and the report (by cause: amount, time to resolution, credits
promised, received and short)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from cspbilling.core.money import from_minor_units
from cspbilling.escalations.models import (
    Cause,
    Escalation,
    EscalationCreditNote,
    EscalationStatus,
)
from cspbilling.escalations.texts import CUSTOMER_STATUS
from cspbilling.invoicing.models import HeldUpstreamLine


def escalations(*, status: str = "", customer=None) -> QuerySet[Escalation]:
    qs = Escalation.objects.select_related(
        "case", "customer", "case__assignee", "credit_billed_invoice"
    ).order_by("-created_at", "-pk")
    if status == "open":
        qs = qs.filter(closed_at=None)
    elif status == "credit_to_check":
        qs = qs.filter(
            Q(credit_received_minor__lt=F("promised_credit_minor"))
            | Q(oversized_credit_line_id__isnull=False)
            | Q(credited_twice_minor__gt=0)
        )
    elif status:
        qs = qs.filter(status=status)
    if customer is not None:
        qs = qs.filter(customer=customer)
    return qs


def get_escalation(*, reference: str) -> Escalation:
    return get_object_or_404(
        Escalation.objects.select_related(
            "case", "customer", "credit_billed_invoice"
        ).prefetch_related(credit_notes_prefetch(), "rejected_credit_lines"),
        reference=reference,
    )


def flagged_line_held(escalation: Escalation) -> bool:
    """Whether the credit line flagged for the escalation is held out of billing until decided
    (not: it was on an issued invoice when it was flagged)."""
    if escalation.oversized_credit_line_id is None:
        return False
    return HeldUpstreamLine.objects.filter(
        upstream_line_id=escalation.oversized_credit_line_id, reference=escalation.reference
    ).exists()


def credit_notes_prefetch() -> Prefetch:
    """The escalation's credit notes (with their invoices), one query for any number of rows."""
    return Prefetch(
        "credit_notes",
        queryset=EscalationCreditNote.objects.select_related("credit_note", "invoice").order_by(
            "invoice_id"
        ),
    )


def age_days(escalation: Escalation) -> int:
    end = escalation.closed_at or timezone.now()
    return (end - escalation.created_at).days


def report() -> list[dict]:
    """One row per cause: how many, the disputed amount, average days from filing to 21Vianet's
    decision, and credits promised against received (CNY minor units summed; currencies are
    not mixed in practice: every 21Vianet invoice is in CNY)."""
    rows = []
    grouped = (
        Escalation.objects.values("cause", "currency")
        .annotate(
            count=Count("pk"),
            open=Count("pk", filter=Q(closed_at=None)),
            disputed=Sum("disputed_minor"),
            promised=Sum("promised_credit_minor"),
            received=Sum("credit_received_minor"),
            short=Sum(
                F("promised_credit_minor") - F("credit_received_minor"),
                filter=Q(credit_received_minor__lt=F("promised_credit_minor")),
            ),
            short_count=Count("pk", filter=Q(credit_received_minor__lt=F("promised_credit_minor"))),
            oversized=Count("pk", filter=Q(oversized_credit_line_id__isnull=False)),
        )
        .order_by("cause", "currency")
    )
    decided = Escalation.objects.exclude(decided_at=None).exclude(filed_at=None)
    durations: dict[str, list[float]] = {}
    for cause, filed, decided_at in decided.values_list("cause", "filed_at", "decided_at"):
        durations.setdefault(cause, []).append((decided_at - filed).total_seconds() / 86400)
    labels = dict(Cause.choices)
    for row in grouped:
        days = durations.get(row["cause"], [])
        currency = row["currency"]
        rows.append(
            {
                "cause": labels.get(row["cause"], row["cause"]),
                "count": row["count"],
                "open": row["open"],
                "currency": currency,
                "disputed": from_minor_units(row["disputed"] or 0, currency),
                "promised": from_minor_units(row["promised"] or 0, currency),
                "received": from_minor_units(row["received"] or 0, currency),
                "short": from_minor_units(row["short"] or 0, currency),
                "short_count": row["short_count"],
                "oversized": row["oversized"],
                "days_to_decision": round(sum(days) / len(days), 1) if days else None,
            }
        )
    return rows


def for_customer(*, customer, limit: int = 20) -> list[Escalation]:
    """The customer's escalations, newest first, for its page in the console (the section
    links to the whole list)."""
    return list(escalations(customer=customer).prefetch_related(credit_notes_prefetch())[:limit])


@dataclass(frozen=True)
class CustomerEscalation:
    """What the customer may read of an escalation of its case: when, where it stands in plain
    words (its language), and when we write next. Never our notes nor 21Vianet's words."""

    reference: str
    escalated_on: date
    status: str
    next_update_on: date | None


def _plain_status(escalation: Escalation, credited: bool) -> str:
    status = escalation.status
    if not credited and escalation.credit_billed_invoice_id and escalation.credit_billed_minor:
        return str(CUSTOMER_STATUS["credited_on_invoice"])
    if status in (EscalationStatus.CLOSED, EscalationStatus.REJECTED):
        return str(CUSTOMER_STATUS["credited" if credited else "confirmed"])
    if status == EscalationStatus.UPHELD:
        return str(CUSTOMER_STATUS["credited" if credited else "credit_pending"])
    return str(CUSTOMER_STATUS.get(status, CUSTOMER_STATUS[EscalationStatus.FILED]))


def for_customer_case(*, case) -> list[CustomerEscalation]:
    """The escalations of one of the customer's cases, oldest first, as the customer reads
    them (the caller found the case among the customer's own)."""
    rows = (
        Escalation.objects.filter(case=case)
        .annotate(credited=Count("credit_notes"))
        .order_by("created_at", "pk")
    )
    return [
        CustomerEscalation(
            reference=e.reference,
            escalated_on=timezone.localtime(e.filed_at or e.created_at).date(),
            status=_plain_status(e, credited=e.credited > 0),
            next_update_on=(
                timezone.localtime(e.next_customer_update_at).date()
                if e.is_open and e.next_customer_update_at
                else None
            ),
        )
        for e in rows
    ]
