"""Reading customers. Portal code always goes through the *_for_portal_user functions."""

from __future__ import annotations

import contextlib
import uuid

from django.db.models import Q, QuerySet
from django.http import Http404

from cspbilling.customers.models import BillingContact, Customer


def search_customers(*, query: str = "") -> QuerySet[Customer]:
    """Customers whose name, legal name, domain or tenant id contains the query."""
    qs = Customer.objects.order_by("company_name", "id")
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


def billing_emails(customer: Customer) -> list[str]:
    """Where a customer's billing mail goes: every billing contact's address, once each."""
    emails = BillingContact.objects.filter(customer=customer).exclude(email="")
    return list(dict.fromkeys(emails.order_by("-is_primary", "id").values_list("email", flat=True)))


def customers_for_user(*, user, query: str = "") -> QuerySet[Customer]:
    """Every customer for staff; only its own for a portal user. With a query, those that
    search_customers finds, the visibility in the same WHERE (no subquery)."""
    qs = search_customers(query=query)
    if getattr(user, "is_portal_user", False):
        qs = qs.filter(pk=user.customer_id)
    return qs


def get_customer_for_user(*, user, tenant_id: uuid.UUID | str) -> Customer:
    """One customer the user may see, by tenant id, in one query; else Http404."""
    try:
        return customers_for_user(user=user).get(tenant_id=tenant_id)
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise Http404("no such customer") from None


def count_customers() -> int:
    return Customer.objects.count()
