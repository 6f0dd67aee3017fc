"""Customer-facing words of cases that are not in a template (this app's catalogue)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cspbilling.cases.models import CaseCategory, CaseStatus

PORTAL_CATEGORIES = {
    CaseCategory.INVOICE_QUESTION: _("A question about an invoice"),
    CaseCategory.PAYMENT: _("A payment"),
    CaseCategory.DISPUTE: _("I dispute a charge"),
    CaseCategory.REFUND_OR_CREDIT: _("A refund or credit"),
    CaseCategory.SUSPENSION_OR_ACCESS: _("A suspension or access"),
    CaseCategory.TECHNICAL: _("A technical question"),
}

STATUS_NAMES = {
    CaseStatus.NEW: _("Received"),
    CaseStatus.OPEN: _("In progress"),
    CaseStatus.WAITING_ON_CUSTOMER: _("Waiting for your answer"),
    CaseStatus.ESCALATED: _("In progress (escalated)"),
    CaseStatus.RESOLVED: _("Resolved: please confirm"),
    CaseStatus.CLOSED: _("Closed"),
}

TEXTS = {
    "unknown_action": _("That action is not possible."),
}
