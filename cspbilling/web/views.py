"""Staff console pages. Thin: selectors to read, services to write."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from cspbilling.accounts.permissions import ADMIN_ROLES, MONEY_ROLES, READ_ROLES, require_roles
from cspbilling.cases import selectors as case_selectors
from cspbilling.customers import selectors as customer_selectors
from cspbilling.customers.billing_settings import BILLING_SETTINGS_FIELDS
from cspbilling.customers.services import do_update_customer_billing_settings
from cspbilling.escalations import selectors as escalation_selectors
from cspbilling.invoicing import selectors as invoicing_selectors
from cspbilling.invoicing.forms import AssignGroupForm
from cspbilling.payments import selectors as payment_selectors
from cspbilling.subscriptions import selectors as subscription_selectors
from cspbilling.subscriptions.models import SubscriptionStatus
from cspbilling.upstream import matching as upstream_matching
from cspbilling.web.forms import CustomerBillingSettingsForm

CUSTOMERS_PER_PAGE = 25


@require_roles(*READ_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    by_status = subscription_selectors.subscription_counts_by_status()
    context = {
        "customer_count": customer_selectors.count_customers(),
        "subscription_total": sum(by_status.values()),
        "by_status": [
            {"value": value, "label": label, "count": by_status.get(value, 0)}
            for value, label in SubscriptionStatus.choices
        ],
        "suspended_count": by_status.get(SubscriptionStatus.SUSPENDED, 0),
        **_operations_cards(request),
    }
    return render(request, "console/dashboard.html", context)


def _operations_cards(request: HttpRequest) -> dict:
    """Last Partner Center sync, outbox trouble, and (money roles) upstream payables due."""
    from cspbilling.notifications.selectors import counts_by_status
    from cspbilling.sync.selectors import last_sync_run

    outbox = counts_by_status()
    cards = {
        "last_sync": last_sync_run(),
        "outbox_failed": outbox.get("failed", 0),
        "outbox_pending": outbox.get("pending", 0),
        "payables_warnings": None,
    }
    if request.user.role in MONEY_ROLES:
        try:  # written by the upstream app; absent in older trees
            from cspbilling.upstream.selectors import payables_warnings
        except ImportError:
            payables_warnings = None
        if payables_warnings is not None:
            cards["payables_warnings"] = payables_warnings(today=timezone.localdate())
    return cards


@require_roles(*READ_ROLES)
def customer_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    customers = subscription_selectors.with_subscription_counts(
        customer_selectors.search_customers(query=query)
    )
    paginator = Paginator(customers, CUSTOMERS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {"page": page, "query": query}
    # htmx live search swaps only the results.
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results":
        return render(request, "console/_customer_results.html", context)
    return render(request, "console/customer_list.html", context)


@require_roles(*READ_ROLES)
def customer_detail(request: HttpRequest, tenant_id) -> HttpResponse:
    customer = customer_selectors.get_customer(tenant_id=tenant_id)
    context = {
        "customer": customer,
        "contacts": customer_selectors.billing_contacts(customer=customer),
        "subscriptions": subscription_selectors.subscriptions_for_customer(customer=customer),
        "can_edit": request.user.role in ADMIN_ROLES,
        "can_price": request.user.role in MONEY_ROLES,
        "price_rules": invoicing_selectors.price_rules(customer_tenant_id=customer.tenant_id),
        "invoices": invoicing_selectors.invoices_of_customer(customer=customer),
        "account": payment_selectors.account_summary(customer),
        "payments": payment_selectors.payments(customer_tenant_id=customer.tenant_id)[:10],
        "group_form": AssignGroupForm(initial={"group": customer.group_id}),
        "customer_numbers": upstream_matching.customer_numbers_of(customer),
        "open_cases": case_selectors.open_cases_for_customer(customer=customer),
        "customer_escalations": escalation_selectors.for_customer(customer=customer),
    }
    return render(request, "console/customer_detail.html", context)


@require_roles(*ADMIN_ROLES)
def customer_edit(request: HttpRequest, tenant_id) -> HttpResponse:
    customer = customer_selectors.get_customer(tenant_id=tenant_id)
    initial = {name: getattr(customer, name) for name in BILLING_SETTINGS_FIELDS}
    form = CustomerBillingSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            do_update_customer_billing_settings(
                customer=customer, actor=request.user.username, **form.cleaned_data
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for field, messages_ in errors.items():
                form.add_error(field if field in form.fields else None, messages_)
        else:
            messages.success(request, _("Billing settings saved."))
            return redirect("web:customer_detail", tenant_id=customer.tenant_id)
    return render(request, "console/customer_edit.html", {"customer": customer, "form": form})
