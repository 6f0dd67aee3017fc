"""What cases asks of the escalations to upstream support (21Vianet) that are open on a case.

Cases never imports escalations: escalations registers its answer here when it starts
(`EscalationsConfig.ready()`). One question decides three rules of the case:

* a case is `escalated` only while an escalation record waits on upstream (there is no plain
  "escalate" of a case: escalating means preparing the request to 21Vianet);
* a case with an escalation still waiting on 21Vianet's outcome is not resolved or closed by
  hand: the agent records the outcome on the escalation, or withdraws it, first;
* while escalated the case's resolution clock is paused (it waits on a third party); the
  customer-update clock of the escalation keeps running.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cspbilling.cases.models import Case


@dataclass(frozen=True)
class PendingEscalation:
    reference: str  # "ESC-000001"
    summary: str  # "ESC-000001 (filed, ticket 2408010001234)"


Finder = Callable[[Case], list[PendingEscalation]]
_finders: list[Finder] = []


def register_pending_escalations(finder: Finder) -> None:
    if finder not in _finders:
        _finders.append(finder)


def pending_escalations(case: Case) -> list[PendingEscalation]:
    """The case's escalations that still wait on upstream's outcome."""
    return [pending for finder in _finders for pending in finder(case)]
