"""Collections: a customer's collections state and its restrict flag (staff read all, a portal
token its own customer), and the daily run as a dry run (finance and administrators)."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.errors import HttpError

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES
from cspbilling.api.common import ERRORS, WRITE_ERRORS, is_portal, require_roles
from cspbilling.api.schemas.collections import (
    CollectionsRestrictionOut,
    CollectionsRunIn,
    CollectionsRunOut,
    CollectionsStateOut,
)
from cspbilling.collections import decisions, selectors
from cspbilling.collections.models import Action, ActionKind, ActionStatus
from cspbilling.collections.outlook import future_stages
from cspbilling.collections.services import do_collections_run
from cspbilling.core.money import from_minor_units
from cspbilling.customers.models import Customer
from cspbilling.workdays.calendar import china_calendar

router = Router(tags=["collections"])
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def _customer(request: HttpRequest, tenant_id: UUID) -> Customer:
    if is_portal(request):
        customer = request.auth.customer
        if customer is None or customer.tenant_id != tenant_id:
            raise Http404("no such customer")
        return customer
    require_roles(request, READ_ROLES)
    customer = Customer.objects.filter(tenant_id=tenant_id).first()
    if customer is None:
        raise Http404("no such customer")
    return customer


@router.get(
    "/collections/customers/{tenant_id}/restriction",
    response={200: CollectionsRestrictionOut, **ERRORS},
)
def restriction(request: HttpRequest, tenant_id: UUID):
    """What the partner's ordering tools ask before a new order or a quantity increase."""
    customer = _customer(request, tenant_id)
    action = (
        Action.objects.filter(
            customer=customer,
            kind=ActionKind.RESTRICT,
            status=ActionStatus.DONE,
            episode__closed_on=None,
        )
        .order_by("as_of")
        .first()
    )
    return {
        "tenant_id": customer.tenant_id,
        "restricted": action is not None,
        "policy_version": action.policy_version if action else None,
        "since": action.as_of if action else None,
    }


@router.get("/collections/customers/{tenant_id}", response={200: CollectionsStateOut, **ERRORS})
def collections_state(request: HttpRequest, tenant_id: UUID):
    """The customer's overdue state, the stages ahead if nothing is paid, and what was done."""
    customer = _customer(request, tenant_id)
    today = timezone.localdate()
    version, acknowledged = selectors.version_for(customer.pk)
    owed = decisions.overdue_customers(today, customer_id=customer.pk).get(customer.pk)
    ahead = future_stages(customer.pk, owed, today, china_calendar())
    actions = Action.objects.filter(customer=customer).select_related("stage")[:50]
    return {
        "tenant_id": customer.tenant_id,
        "policy_version": version.label if version else None,
        "acknowledged": acknowledged,
        "restricted": selectors.is_restricted(customer.pk),
        "overdue_amount": str(from_minor_units(owed.amount_minor, owed.currency)) if owed else None,
        "currency": owed.currency if owed else None,
        "oldest_due_on": owed.oldest_due if owed else None,
        "ahead": [
            {"day": day, "stage": stage.code, "actions": stage.action_kinds} for day, stage in ahead
        ],
        "actions": [
            {
                "day": a.as_of,
                "stage": a.stage.code,
                "action": a.kind,
                "status": a.status,
                "reason": a.reason,
                "policy_version": a.policy_version,
                "invoices": a.invoice_refs,
                "amount": str(a.amount),
            }
            for a in actions
        ],
    }


@router.post("/collections/runs/dry-run", response={200: CollectionsRunOut, **WRITE_ERRORS})
def dry_run(request: HttpRequest, payload: CollectionsRunIn):
    """What the daily run would do on a day; changes nothing."""
    require_roles(request, MONEY_ROLES)
    as_of = payload.as_of or timezone.localdate()
    if not EARLIEST <= as_of <= LATEST:
        raise HttpError(422, f"as_of must be between {EARLIEST} and {LATEST}")
    result = do_collections_run(
        as_of=as_of, actor=request.auth.username, dry_run=True, keep=payload.limit
    )
    out = result.as_json()
    out["actions"] = [{**a, "customer_id": a["customer"]} for a in out["actions"]]
    return out
