"""Console pages of collections policies: the versions, a draft edited as YAML (checked whole,
every problem listed), publishing, and a signed acknowledgement staff record for a customer."""

from __future__ import annotations

import datetime as dt

import yaml
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES, require_roles, user_has_role
from cspbilling.collections.models import Policy, PolicyVersion
from cspbilling.collections.policy_rules import PolicyError, parse_yaml, spec_of_version
from cspbilling.collections.services import (
    do_acknowledge_policy,
    do_draft_policy_version,
    do_publish_policy_version,
    do_update_draft_version,
)
from cspbilling.customers.models import Customer


@require_roles(*READ_ROLES)
def policy_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "collections/policy_list.html",
        {"policies": Policy.objects.prefetch_related("versions").all()},
    )


@require_roles(*READ_ROLES)
def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(PolicyVersion.objects.select_related("policy"), pk=pk)
    may_edit = user_has_role(request.user, MONEY_ROLES)
    text = yaml.safe_dump(spec_of_version(version), allow_unicode=True, sort_keys=False)
    problems: list[str] = []
    if request.method == "POST":
        if not may_edit:
            return HttpResponse(status=403)
        text = request.POST.get("yaml", "")
        try:
            spec = parse_yaml(text)
            if spec.name != version.policy.name:
                raise PolicyError([f"policy: the name must stay {version.policy.name!r}"])
            if version.is_published:
                draft = do_draft_policy_version(spec=spec, actor=request.user.username)
                messages.success(request, f"{draft.label} drafted from {version.label}.")
            else:
                draft = do_update_draft_version(
                    version=version, spec=spec, actor=request.user.username
                )
                messages.success(request, f"{draft.label} saved.")
            return redirect("collections:version", pk=draft.pk)
        except PolicyError as exc:
            problems = exc.problems
    return render(
        request,
        "collections/version_detail.html",
        {
            "version": version,
            "stages": version.stages.all(),
            "yaml": text,
            "problems": problems,
            "may_edit": may_edit,
        },
        status=400 if problems else 200,
    )


@require_roles(*MONEY_ROLES)
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(PolicyVersion, pk=pk)
    try:
        do_publish_policy_version(version=version, actor=request.user.username)
    except PolicyError as exc:
        messages.error(request, "; ".join(exc.problems))
    else:
        messages.success(request, f"{version.label} published: it never changes from now on.")
    return redirect("collections:version", pk=pk)


@require_roles(*MONEY_ROLES)
@require_POST
def record_signed_copy(request: HttpRequest, tenant_id) -> HttpResponse:
    customer = get_object_or_404(Customer, tenant_id=tenant_id)
    version = PolicyVersion.objects.filter(pk=request.POST.get("version") or 0).first()
    try:
        signed_on = dt.date.fromisoformat(request.POST.get("signed_on", ""))
    except ValueError:
        signed_on = None
    if version is None or signed_on is None:
        messages.error(request, "Choose the version and the day it was signed.")
        return redirect("collections:customer", tenant_id=customer.tenant_id)
    try:
        do_acknowledge_policy(
            customer=customer,
            version=version,
            method="signed_copy",
            acknowledged_by=request.POST.get("signed_by", "")[:150],
            acknowledged_at=dt.datetime.combine(signed_on, dt.time(12), tzinfo=dt.UTC),
            actor=request.user.username,
            note=request.POST.get("note", "")[:500],
        )
    except PolicyError as exc:
        messages.error(request, "; ".join(exc.problems))
    else:
        messages.success(request, f"Signed copy of {version.label} recorded.")
    return redirect("collections:customer", tenant_id=customer.tenant_id)
