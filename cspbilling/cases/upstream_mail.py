"""Mail from upstream support (21Vianet answering an escalation) threads into its case as an
INTERNAL note: never shown to the customer, never emailed, never in a webhook.

Cases never imports escalations: escalations registers a matcher here when it starts
(`EscalationsConfig.ready()`). The intake asks each matcher first; one that knows the mail (its
sender is upstream support and it names a ticket number or our reference) returns the case and
a callback, called with the stored note inside the intake's transaction."""

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


Matcher = Callable[[InboundMail], UpstreamThread | None]
_matchers: list[Matcher] = []


def register_upstream_mail_matcher(matcher: Matcher) -> None:
    if matcher not in _matchers:
        _matchers.append(matcher)


def match_upstream_mail(mail: InboundMail) -> UpstreamThread | None:
    for matcher in _matchers:
        thread = matcher(mail)
        if thread is not None:
            return thread
    return None
