"""The customer portal. Every read is scoped to request.user.customer through selectors."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cspbilling.portal.access import portal_view
from cspbilling.subscriptions import selectors as subscription_selectors


@portal_view
def home(request: HttpRequest) -> HttpResponse:
    customer = request.user.customer
    subscriptions = subscription_selectors.subscriptions_for_customer(customer=customer)
    return render(
        request, "portal/home.html", {"customer": customer, "subscriptions": subscriptions}
    )


@portal_view
def subscription_detail(request: HttpRequest, subscription_id: str) -> HttpResponse:
    customer = request.user.customer
    subscription = subscription_selectors.get_subscription_for_customer(
        customer=customer, subscription_id=subscription_id
    )
    return render(
        request,
        "portal/subscription_detail.html",
        {"customer": customer, "subscription": subscription},
    )
