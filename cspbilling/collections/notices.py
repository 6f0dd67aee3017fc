"""Collections' emails: a stage's notice in the customer's language (from the policy's own
templates, quoting its version), and the alert staff receive when the circuit breaker trips."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.db.models import Expression
from django.utils import formats, translation
from django.utils.translation import gettext

from cspbilling.collections.models import LANGUAGES, PolicyVersion, Stage
from cspbilling.core.money import from_minor_units
from cspbilling.customers.models import Customer
from cspbilling.notifications.models import OutboundMessage
from cspbilling.notifications.services import EmailToQueue, OutboxError, queue_email
from cspbilling.notifications.services.outbox import email_payload


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


@lru_cache(maxsize=4096)
def _day_text(language: str, day: dt.date) -> str:
    """A day as the customer's language writes it (a run's notices share a few hundred days)."""
    with translation.override(language):
        return formats.date_format(day, "DATE_FORMAT")


class Addressee(NamedTuple):
    """Who a notice is written to: the language it is in, the name it opens with."""

    language: str
    name: str


def addressees(
    customer_ids: Iterable[int] | Expression, *, within: tuple[int, int] | None = None
) -> dict[int, Addressee]:
    """Each customer's; `customer_ids` may be an SQL expression that selects them, `within`
    the range of ids they are in (the database then reads only that range)."""
    ids = customer_ids if isinstance(customer_ids, Expression) else list(customer_ids)
    customers = Customer.objects.filter(pk__in=ids)
    if within is not None:
        customers = customers.filter(pk__range=within)
    return {
        pk: Addressee(language if language in LANGUAGES else "zh-hans", legal or company)
        for pk, language, legal, company in customers.values_list(
            "pk", "language", "legal_name", "company_name"
        )
    }


@lru_cache(maxsize=256)
def _footer(language: str, version_label: str) -> str:
    with translation.override(language):
        return gettext("Collections policy: %(version)s") % {"version": version_label}


def render_stage_notice(
    *,
    stage: Stage,
    version: PolicyVersion,
    addressee: Addressee,
    amount_minor: int,
    currency: str,
    invoices: list[str],
    oldest_due: dt.date,
    next_step_day: dt.date | None,
    also_owed: tuple[tuple[str, int], ...] = (),
) -> tuple[str, str, str]:
    """(language, subject, body) of the stage's notice to the customer. `also_owed`: what it
    owes past due in other currencies (currency, minor units), stated after the template's
    text (the template's {amount} {currency} is the oldest overdue invoice's currency)."""
    language = addressee.language
    template = stage.templates[language]
    values = _Blank(
        customer=addressee.name,
        amount=f"{from_minor_units(amount_minor, currency):,.2f}",
        currency=currency,
        invoices=", ".join(invoices),
        oldest_due=_day_text(language, oldest_due),
        policy_version=version.label,
        stage=stage.name_in(language),
        next_step_day=_day_text(language, next_step_day) if next_step_day else "",
    )
    subject = template["subject"].format_map(values).strip()
    footer = _footer(language, version.label)
    body = template["body"].format_map(values).strip()
    if also_owed:
        body += "\n\n" + _also_owed(language, also_owed)
    body += "\n\n-- \n" + footer + "\n"
    return language, subject, body


def _also_owed(language: str, also_owed: tuple[tuple[str, int], ...]) -> str:
    """The overdue amounts in other currencies than the one the template states."""
    amounts = ", ".join(f"{from_minor_units(m, c):,.2f} {c}" for c, m in also_owed)
    with translation.override(language):
        return gettext("Also overdue, in other currencies: %(amounts)s.") % {"amounts": amounts}


def stage_notice_email(
    *, to: list[str], key: str, language: str, subject: str, body: str, customer_id: int
) -> tuple[EmailToQueue | None, str]:
    """(the email to queue, "") or (None, why it cannot be sent): checked as the outbox checks
    it, so the run queues all its notices at once (`queue_emails`) and none is refused there."""
    if not to:
        return None, "the customer has no billing contact with an email address"
    try:
        payload = email_payload(to=to, subject=subject, body=body, language=language)
    except OutboxError as exc:
        return None, f"the notice could not be queued: {exc}"
    email = EmailToQueue(
        to=to,
        subject=subject,
        body=body,
        idempotency_key=key,
        language=language,
        related=("customer", customer_id),
        checked_payload=payload,
    )
    return email, ""


def queue_breaker_alert(*, as_of: dt.date, text: str, actor: str) -> OutboundMessage | None:
    if not settings.STAFF_ALERT_EMAILS:
        return None
    return queue_email(
        to=list(settings.STAFF_ALERT_EMAILS),
        subject=f"Collections run of {as_of}: suspensions refused by the circuit breaker",
        body=text + "\n\nNobody was suspended. Review the approvals and holds in the console.\n",
        idempotency_key=f"collections:breaker:{as_of}:{dt.datetime.now(dt.UTC).timestamp()}",
        related=("collections_run", str(as_of)),
        actor=actor,
    )
