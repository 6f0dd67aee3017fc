"""The outbox in the staff console: what we sent, to whom, when; retry or cancel. Thin."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cspbilling.accounts.permissions import (
    MONEY_ROLES,
    READ_ROLES,
    SUPPORT_ROLES,
    require_roles,
    user_has_role,
)
from cspbilling.audit.selectors import events_for
from cspbilling.notifications import selectors
from cspbilling.notifications.models import MessageKind, MessageStatus, OutboundMessage
from cspbilling.notifications.services import OutboxError, do_cancel_message, do_retry_message

MESSAGES_PER_PAGE = 50
RETRYABLE = {MessageStatus.FAILED}
CANCELLABLE = {MessageStatus.PENDING, MessageStatus.FAILED}


@require_roles(*READ_ROLES)
def message_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    status = status if status in MessageStatus.values else ""
    kind = kind if kind in MessageKind.values else ""
    queryset = selectors.messages(status=status or None)
    if kind:
        queryset = queryset.filter(kind=kind)
    page = Paginator(queryset, MESSAGES_PER_PAGE).get_page(request.GET.get("page"))
    filters = "&".join(f"{k}={v}" for k, v in (("status", status), ("kind", kind)) if v)
    context = {
        "page": page,
        "status": status,
        "kind": kind,
        "filters": filters,
        "statuses": MessageStatus.choices,
        "kinds": MessageKind.choices,
        "can_act": request.user.role in SUPPORT_ROLES,
        "retryable": RETRYABLE,
        "cancellable": CANCELLABLE,
    }
    return render(request, "notifications/message_list.html", context)


@require_roles(*READ_ROLES)
def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    message = get_object_or_404(OutboundMessage, pk=message_id)
    context = {
        "message": message,
        "payload": message.payload,
        "history": events_for(object_type="outbound_message", object_id=message.pk).order_by("-id")[
            :20
        ],
        "can_act": request.user.role in SUPPORT_ROLES,
        "retryable": RETRYABLE,
        "cancellable": CANCELLABLE,
    }
    return render(request, "notifications/message_detail.html", context)


def _back(request: HttpRequest, message_id: int) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications:message_detail", message_id=message_id)


@require_roles(*SUPPORT_ROLES)
@require_POST
def message_retry(request: HttpRequest, message_id: int) -> HttpResponse:
    try:
        do_retry_message(message_id=message_id, actor=request.user.username)
    except OutboundMessage.DoesNotExist:
        messages.error(request, _("There is no message #%(id)s.") % {"id": message_id})
        return redirect("notifications:message_list")
    except OutboxError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Message #%(id)s will be sent again shortly.") % {"id": message_id}
        )
    return _back(request, message_id)


@require_roles(*SUPPORT_ROLES)
@require_POST
def message_cancel(request: HttpRequest, message_id: int) -> HttpResponse:
    kind = OutboundMessage.objects.filter(pk=message_id).values_list("kind", flat=True).first()
    if kind == MessageKind.PARTNER_CENTER and not user_has_role(request.user, MONEY_ROLES):
        # Cancelling a command changes a customer's access: finance or an administrator only.
        raise PermissionDenied
    try:
        do_cancel_message(
            message_id=message_id,
            actor=request.user.username,
            reason=request.POST.get("reason", "").strip()[:500],
        )
    except OutboundMessage.DoesNotExist:
        messages.error(request, _("There is no message #%(id)s.") % {"id": message_id})
        return redirect("notifications:message_list")
    except OutboxError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Message #%(id)s is cancelled.") % {"id": message_id})
    return _back(request, message_id)
