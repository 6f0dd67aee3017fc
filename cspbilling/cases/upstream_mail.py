"""Mail from upstream support (21Vianet answering an escalation) threads into its case as an
INTERNAL note: never shown to the customer, never emailed, never in a webhook.

Cases never imports escalations: escalations registers a matcher here when it starts
(`EscalationsConfig.ready()`). The intake asks each matcher first; one that knows the mail (its
sender is upstream support and it names a ticket number or our reference) returns the case and
a callback, called with the stored note inside the intake's transaction. One that knows the
sender is upstream support but cannot tell which case the mail is about (it names none of our
tickets, or several) says why (`UpstreamUnmatched`): the mail then opens a triage case with
that reason as an internal note, for a person to place; it is never guessed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cspbilling.cases.intake.parse import InboundMail
from cspbilling.cases.models import Case, CaseMessage


@dataclass(frozen=True)
class UpstreamThread:
    case: Case
    recorded: Callable[[CaseMessage], None]
    label: str = "21Vianet"


@dataclass(frozen=True)
class UpstreamUnmatched:
    reason: str


Matcher = Callable[[InboundMail], UpstreamThread | UpstreamUnmatched | None]
_matchers: list[Matcher] = []


def register_upstream_mail_matcher(matcher: Matcher) -> None:
    if matcher not in _matchers:
        _matchers.append(matcher)


def match_upstream_mail(mail: InboundMail) -> UpstreamThread | UpstreamUnmatched | None:
    unmatched = None
    for matcher in _matchers:
        found = matcher(mail)
        if isinstance(found, UpstreamThread):
            return found
        unmatched = unmatched or found
    return unmatched
