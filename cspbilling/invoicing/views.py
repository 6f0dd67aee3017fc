"""Staff console pages of invoicing: price rules and customer groups. Thin: forms read, services
write, selectors read."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES, require_roles, user_has_role
from cspbilling.customers.models import Customer, CustomerGroup
from cspbilling.customers.services import do_assign_customer_group, do_create_customer_group
from cspbilling.invoicing import selectors
from cspbilling.invoicing.forms import AssignGroupForm, EndRuleForm, GroupForm, PriceRuleForm
from cspbilling.invoicing.models import PriceRule, PricingMethod
from cspbilling.invoicing.price_rules import rule_specificity
from cspbilling.invoicing.services import do_create_price_rule, do_end_price_rule


def _in_effect_on(request: HttpRequest) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.GET.get("on", ""))
    except ValueError:
        return None


@require_roles(*READ_ROLES)
def price_rules(request: HttpRequest) -> HttpResponse:
    may_edit = user_has_role(request.user, MONEY_ROLES)
    initial = {"method": PricingMethod.PERCENT, "currency": "CNY"}
    if request.GET.get("customer"):
        initial["customer"] = request.GET["customer"]
    form = PriceRuleForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                rule = do_create_price_rule(actor=request.user.username, **form.rule_fields())
            except ValidationError as refusal:
                form.show_refusal(refusal)
            else:
                messages.success(request, f"Rule “{rule.name}” saved.")
                return redirect("invoicing:price_rules")
    on = _in_effect_on(request)
    rules = [(rule, rule_specificity(rule)) for rule in selectors.price_rules(in_effect_on=on)]
    groups = CustomerGroup.objects.annotate(members=Count("customers")).order_by("name")
    return render(
        request,
        "invoicing/price_rules.html",
        {
            "rules": rules,
            "on": on,
            "form": form,
            "may_edit": may_edit,
            "groups": groups,
            "group_form": GroupForm(prefix="group"),
            "end_form": EndRuleForm(),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@require_roles(*MONEY_ROLES)
def end_price_rule(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(PriceRule, pk=pk)
    form = EndRuleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the rule's last day as YYYY-MM-DD.")
        return redirect("invoicing:price_rules")
    try:
        do_end_price_rule(
            rule=rule, last_day=form.cleaned_data["last_day"], actor=request.user.username
        )
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(request, f"Rule “{rule.name}” ends on {form.cleaned_data['last_day']}.")
    return redirect("invoicing:price_rules")


@require_POST
@require_roles(*MONEY_ROLES)
def create_group(request: HttpRequest) -> HttpResponse:
    form = GroupForm(request.POST, prefix="group")
    if form.is_valid():
        try:
            do_create_customer_group(actor=request.user.username, **form.cleaned_data)
        except ValidationError as refusal:
            messages.error(request, " ".join(refusal.messages))
        else:
            messages.success(request, f"Group “{form.cleaned_data['name']}” created.")
    else:
        messages.error(request, "A group needs a name of at most 100 characters.")
    return redirect("invoicing:price_rules")


@require_POST
@require_roles(*MONEY_ROLES)
def assign_group(request: HttpRequest, tenant_id: str) -> HttpResponse:
    customer = get_object_or_404(Customer, tenant_id=tenant_id)
    form = AssignGroupForm(request.POST)
    if form.is_valid():
        group = form.cleaned_data["group"]
        do_assign_customer_group(customer=customer, group=group, actor=request.user.username)
        messages.success(request, f"Group: {group.name if group else 'none'}.")
    else:
        messages.error(request, "Choose one of the groups.")
    return redirect("web:customer_detail", tenant_id=customer.tenant_id)
