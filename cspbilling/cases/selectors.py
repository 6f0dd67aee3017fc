"""Reading cases. Customer-facing code (portal, API for portal users) goes through the
*_for_customer functions, which never return internal notes."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cspbilling.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseMessage,
    CaseStatus,
    Visibility,
)

QUEUES = ("mine", "unassigned", "due_soon", "waiting", "escalated", "triage", "all")


def _listed(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.select_related("customer", "assignee").annotate(
        message_count=Count("messages", filter=Q(messages__visibility=Visibility.PUBLIC))
    )


def queue(name: str, *, user=None, now=None) -> QuerySet[Case]:
    """The staff queues: mine, unassigned, due soon, waiting on customer, escalated, triage."""
    now = now or timezone.now()
    qs = Case.objects.all()
    if name == "mine":
        qs = qs.filter(assignee=user, status__in=OPEN_STATUSES)
    elif name == "unassigned":
        qs = qs.filter(assignee=None, status__in=OPEN_STATUSES, customer__isnull=False)
    elif name == "due_soon":
        soon = now + timedelta(hours=settings.CASES_SLA_DUE_SOON_HOURS)
        qs = qs.filter(
            status__in=(CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.ESCALATED),
            resolution_due_at__lte=soon,
        )
    elif name == "waiting":
        qs = qs.filter(status=CaseStatus.WAITING_ON_CUSTOMER)
    elif name == "escalated":
        qs = qs.filter(status=CaseStatus.ESCALATED)
    elif name == "triage":
        qs = qs.filter(customer=None, status__in=OPEN_STATUSES)
    elif name != "all":
        raise Http404(f"no queue {name!r}")
    return _listed(qs).order_by("resolution_due_at", "-created_at", "-id")


def sla_state(case: Case, *, now=None) -> str:
    """ "breached", "due_soon", "paused", "met" or "" (on time) for a queue row."""
    now = now or timezone.now()
    if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        return "breached" if case.resolution_breached else "met"
    if case.resolution_due_at is None:
        return "paused"
    if case.resolution_due_at <= now:
        return "breached"
    if case.resolution_due_at <= now + timedelta(hours=settings.CASES_SLA_DUE_SOON_HOURS):
        return "due_soon"
    return ""


def list_cases(*, status: str = "", customer_tenant_id: str = "") -> QuerySet[Case]:
    qs = Case.objects.all()
    if status:
        qs = qs.filter(status=status)
    if customer_tenant_id:
        qs = qs.filter(customer__tenant_id=customer_tenant_id)
    return _listed(qs).order_by("pk")


def get_case(*, reference: str) -> Case:
    try:
        return (
            Case.objects.select_related("customer", "assignee", "disputed_invoice", "credit_note")
            .prefetch_related(
                Prefetch(
                    "messages",
                    queryset=CaseMessage.objects.prefetch_related("attachments").order_by(
                        "created_at", "id"
                    ),
                ),
                "invoices",
                "invoice_lines",
                "payments",
                "subscriptions",
            )
            .get(reference=reference)
        )
    except Case.DoesNotExist:
        raise Http404("no such case") from None


def cases_for_customer(*, customer) -> QuerySet[Case]:
    return _listed(Case.objects.filter(customer=customer)).order_by("-created_at", "-id")


def open_cases_for_customer(*, customer) -> QuerySet[Case]:
    return cases_for_customer(customer=customer).filter(status__in=OPEN_STATUSES)


def get_case_for_customer(*, customer, reference: str) -> Case:
    """One of the customer's own cases, else Http404 (another customer's case does not exist)."""
    try:
        return Case.objects.select_related("customer").get(customer=customer, reference=reference)
    except Case.DoesNotExist:
        raise Http404("no such case") from None


def public_messages(case: Case) -> QuerySet[CaseMessage]:
    """What the customer may read of its case: never an internal note."""
    return (
        CaseMessage.objects.filter(case=case, visibility=Visibility.PUBLIC)
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def sla_figures(*, month: date) -> list[dict]:
    """Per agent, for cases resolved in `month`: resolved, first responses and resolutions
    within target, average satisfaction."""
    start = month.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    rows = (
        Case.objects.filter(resolved_at__date__gte=start, resolved_at__date__lt=end)
        .values("assignee__username")
        .annotate(
            resolved=Count("id"),
            first_response_met=Count("id", filter=Q(first_response_breached=False)),
            resolution_met=Count("id", filter=Q(resolution_breached=False)),
            rated=Count("id", filter=Q(satisfaction__isnull=False)),
        )
        .order_by("assignee__username")
    )
    return [{**row, "agent": row.pop("assignee__username") or "(unassigned)"} for row in rows]


def invoice_line_for_customer(*, customer, line_id) -> object:
    """An invoice line of one of the customer's issued invoices, else Http404."""
    from cspbilling.invoicing.models import InvoiceLine

    try:
        return InvoiceLine.objects.select_related("invoice").get(
            pk=int(line_id), invoice__customer=customer, invoice__status="issued"
        )
    except (InvoiceLine.DoesNotExist, ValueError, TypeError):
        raise Http404("no such invoice line") from None


def invoice_lines_for_customer(*, customer, number: str) -> list:
    """The lines of one of the customer's issued invoices (to ask about one), else Http404."""
    from cspbilling.invoicing.models import InvoiceLine

    lines = list(
        InvoiceLine.objects.select_related("invoice")
        .filter(invoice__number=number, invoice__customer=customer, invoice__status="issued")
        .order_by("pk")
    )
    if not lines:
        raise Http404("no such invoice")
    return lines


def get_attachment(*, reference: str, pk: int):
    """One attachment of the case, else Http404."""
    from cspbilling.cases.models import CaseAttachment

    try:
        return CaseAttachment.objects.get(pk=pk, message__case__reference=reference)
    except CaseAttachment.DoesNotExist:
        raise Http404("no such attachment") from None
