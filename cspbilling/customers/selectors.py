"""Reading customers. Portal code always goes through the *_for_portal_user functions."""

from __future__ import annotations

import contextlib
import uuid

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from cspbilling.customers.models import BillingContact, Customer
from cspbilling.subscriptions.models import SubscriptionStatus


def search_customers(*, query: str = "") -> QuerySet[Customer]:
    """Customers whose name, legal name, domain or tenant id contains the query, with counts."""
    qs = Customer.objects.annotate(
        subscription_count=Count("subscriptions", distinct=True),
        suspended_count=Count(
            "subscriptions",
            filter=Q(subscriptions__status=SubscriptionStatus.SUSPENDED),
            distinct=True,
        ),
    ).order_by("company_name", "id")
    query = (query or "").strip()
    if query:
        match = (
            Q(company_name__icontains=query)
            | Q(legal_name__icontains=query)
            | Q(domain__icontains=query)
        )
        with contextlib.suppress(ValueError):
            match |= Q(tenant_id=uuid.UUID(query))
        qs = qs.filter(match)
    return qs


def get_customer(*, tenant_id: uuid.UUID | str) -> Customer:
    """One customer by tenant id, or Http404."""
    try:
        return Customer.objects.get(tenant_id=tenant_id)
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise Http404("no such customer") from None


def billing_contacts(*, customer: Customer) -> QuerySet[BillingContact]:
    return BillingContact.objects.filter(customer=customer).order_by("-is_primary", "id")


def customers_for_user(*, user) -> QuerySet[Customer]:
    """Every customer for staff; only its own for a portal user."""
    if getattr(user, "is_portal_user", False):
        return Customer.objects.filter(pk=user.customer_id)
    return Customer.objects.all()


def count_customers() -> int:
    return Customer.objects.count()


def recent_sync_runs(*, limit: int = 20) -> list:
    """The last Partner Center sync runs, newest first."""
    from cspbilling.customers.models import SyncRun

    return list(SyncRun.objects.order_by("-requested_at", "-id")[:limit])


def last_sync_run():
    """The newest sync run, or None."""
    from cspbilling.customers.models import SyncRun

    return SyncRun.objects.order_by("-requested_at", "-id").first()
