"""The collections policy in the portal: the customer reads the version it is collected under
(page and PDF, in its language) and acknowledges it with one click; when the partner publishes a
newer version of a policy the customer acknowledged, the new one is offered, and the customer
stays collected under the old one until it accepts."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cspbilling.collections import selectors
from cspbilling.collections.document import (
    ACKNOWLEDGED_THANKS,
    policy_document,
    render_policy_pdf,
)
from cspbilling.collections.models import PolicyVersion
from cspbilling.collections.policy_rules import PolicyError
from cspbilling.collections.services import do_acknowledge_policy
from cspbilling.portal.access import portal_view


def _version_to_read(customer_id: int) -> PolicyVersion:
    """The version the customer is collected under: what it acknowledged last, else the
    default."""
    version, _acknowledged = selectors.version_for(customer_id)
    if version is None:
        raise Http404
    return version


def _offered(customer_id: int, version: PolicyVersion) -> PolicyVersion | None:
    """A newer version of the policy the customer acknowledged, offered to it: it stays
    collected under the one it acknowledged until it accepts the new one."""
    ack = selectors.latest_acknowledgement(customer_id)
    if ack is None or ack.version_id != version.pk:
        return None
    return selectors.newer_version(version)


@portal_view
def policy(request: HttpRequest) -> HttpResponse:
    customer = request.user.customer
    version = _version_to_read(customer.pk)
    offered = _offered(customer.pk, version)
    ack = selectors.latest_acknowledgement(customer.pk)
    shown = offered or version
    return render(
        request,
        "collections/portal_policy.html",
        {
            "customer": customer,
            "doc": policy_document(shown, language=request.LANGUAGE_CODE),
            "version": shown,
            "collected_under": version,
            "offered": offered,
            "acknowledgement": ack if ack and ack.version_id == shown.pk else None,
            "previous_acknowledgement": ack if offered else None,
        },
    )


@portal_view
def policy_pdf(request: HttpRequest) -> HttpResponse:
    customer_id = request.user.customer.pk
    current = _version_to_read(customer_id)
    offered = _offered(customer_id, current)
    version = offered if offered and request.GET.get("version") == str(offered.pk) else current
    response = HttpResponse(
        render_policy_pdf(version, language=request.LANGUAGE_CODE), content_type="application/pdf"
    )
    name = f"collections-policy-{version.policy.name}-v{version.number}.pdf".replace(" ", "-")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@portal_view
@require_POST
def acknowledge(request: HttpRequest) -> HttpResponse:
    customer = request.user.customer
    version = PolicyVersion.objects.filter(pk=request.POST.get("version") or 0).first()
    current = _version_to_read(customer.pk)
    offered = _offered(customer.pk, current)
    if version is None or version.pk not in {current.pk, offered.pk if offered else None}:
        raise Http404
    try:
        do_acknowledge_policy(
            customer=customer,
            version=version,
            method="portal",
            acknowledged_by=request.user.get_full_name() or request.user.username,
            actor=request.user.username,
        )
    except PolicyError as exc:
        messages.error(request, "; ".join(exc.problems))
    else:
        messages.success(request, _(ACKNOWLEDGED_THANKS))
    return redirect("portal:policy")
