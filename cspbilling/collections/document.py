"""The policy the customer reads: the same published version the run follows, as a document (the
portal page and the PDF), in the reader's language. Every reminder and its day, the day access
is impacted, what suspension means in the 21Vianet cloud, and worked dates for an example
invoice, counted with the same China calendar as the run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from cspbilling.collections.models import DayKind, PolicyVersion, SuspendMode
from cspbilling.collections.schedule import stage_day
from cspbilling.core import typst_documents
from cspbilling.core.money import from_minor_units
from cspbilling.workdays.calendar import china_calendar

TEMPLATE = Path(__file__).with_name("pdf") / "policy.typ"
TYPST_LANG = {"zh-hans": "zh", "en": "en", "fr": "fr"}
# The example invoice falls due just before Golden Week, so business days visibly skip the
# holidays and count the 调休 Saturday.
EXAMPLE_DUE = dt.date(2026, 4, 28)
# Console navigation labels (web/navigation.py marks them with gettext_noop): translated here.
NAVIGATION_LABELS = (
    gettext_noop("Collections"),
    gettext_noop("Collections policies"),
    gettext_noop("Timeline"),  # the customer page's link to the collections timeline
)
ACKNOWLEDGED_THANKS = gettext_noop("Thank you: your acknowledgement is recorded.")


def _day(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _offset(stage) -> str:
    n = stage.offset_days
    if stage.day_kind == DayKind.BUSINESS:
        text = ngettext(
            "%(n)s business day after the due date", "%(n)s business days after the due date", n
        )
    else:
        text = ngettext(
            "%(n)s calendar day after the due date", "%(n)s calendar days after the due date", n
        )
    return text % {"n": n}


def _what(stage) -> list[str]:
    what = []
    if stage.notify:
        what.append(_("We email a reminder to your billing contacts."))
    if stage.restrict:
        what.append(_("New orders and quantity increases are refused until you pay."))
    if stage.escalate:
        what.append(_("A member of our team contacts you."))
    if stage.suspend == SuspendMode.AUTO:
        what.append(_("Your subscriptions are suspended: access is impacted on this day."))
    elif stage.suspend == SuspendMode.APPROVAL:
        what.append(
            _(
                "Your subscriptions may be suspended from this day, after one of our staff "
                "has reviewed your account: access is impacted."
            )
        )
    if stage.min_overdue_minor:
        what.append(
            _("Only when at least %(amount)s CNY is overdue.")
            % {"amount": f"{from_minor_units(stage.min_overdue_minor, 'CNY'):,.2f}"}
        )
    return what


def policy_document(version: PolicyVersion, *, language: str) -> dict[str, Any]:
    """Every word and date of the document, translated into `language`."""
    calendar = china_calendar()
    retention = settings.SUSPENDED_DATA_RETENTION_DAYS
    with translation.override(language):
        stages, example = [], []
        impact_day = None
        for stage in version.stages.all():
            day = stage_day(EXAMPLE_DUE, stage, calendar)
            name = stage.name_in(language)
            stages.append({"name": name, "when": _offset(stage), "what": _what(stage)})
            example.append({"name": name, "day": _day(day)})
            if stage.suspend and impact_day is None:
                impact_day = day
        example_lines = [
            _("Example: an invoice due on %(day)s that stays unpaid.") % {"day": _day(EXAMPLE_DUE)},
        ]
        if impact_day is not None:
            example_lines.append(
                _("Access is impacted on %(day)s; the data would be deleted on %(deletion)s.")
                % {
                    "day": _day(impact_day),
                    "deletion": _day(impact_day + dt.timedelta(days=retention)),
                }
            )
        return {
            "lang": TYPST_LANG.get(language, "en"),
            "language": language,
            "title": _("Collections policy %(version)s") % {"version": version.label},
            "version": version.label,
            "intro": _(
                "This policy says how we remind you of unpaid invoices and on which day access "
                "to your subscriptions is impacted. Days count from each invoice's due date; "
                "business days follow the China calendar (public holidays are not counted, "
                "official working weekends are)."
            ),
            "stages_title": _("Reminders and what happens"),
            "stages": stages,
            "notice": _(
                "We never suspend before a reminder was delivered to you at least %(days)s "
                "days earlier. Disputed amounts, promises to pay we agreed and exemptions "
                "stop the clock."
            )
            % {"days": version.min_notice_days},
            "suspension_title": _("What suspension means in the 21Vianet cloud"),
            "suspension": [
                _("Your users lose access to the suspended subscriptions' services."),
                _(
                    "Your administrators keep access to the admin portal, to pay and to "
                    "export data."
                ),
                _(
                    "%(days)s days after suspension, 21Vianet deletes the subscriptions' data: "
                    "it cannot be recovered."
                )
                % {"days": retention},
                _("As soon as the overdue amount is paid, we reactivate the subscriptions."),
            ],
            "example_title": _("Worked dates"),
            "example_lines": example_lines,
            "example": example,
            "labels": {
                "stage": _("Stage"),
                "when": _("When"),
                "what": _("What happens"),
                "day": _("Day"),
            },
            "seller": settings.INVOICE_SELLER,
        }


def render_policy_pdf(version: PolicyVersion, *, language: str) -> bytes:
    return typst_documents.render(TEMPLATE, policy_document(version, language=language), "pdf")


def render_policy_png(version: PolicyVersion, *, language: str) -> bytes:
    return typst_documents.render(TEMPLATE, policy_document(version, language=language), "png")


def invoice_policy_line(customer) -> str | None:
    """The collections line of the customer's invoices (in the language active when called):
    the version it is collected under, when reminders start and when access is impacted."""
    from cspbilling.collections.selectors import version_for

    version, _acknowledged = version_for(customer.pk)
    if version is None:
        return None
    stages = list(version.stages.all())
    suspend = next((s for s in stages if s.suspend), None)
    text = _("Collections policy %(version)s: reminders from %(first)s.") % {
        "version": version.label,
        "first": _offset(stages[0]),
    }
    if suspend is not None:
        text += " " + _("Access to subscriptions is impacted %(when)s.") % {
            "when": _offset(suspend)
        }
    return text + " " + _("Read it in the billing portal.")
