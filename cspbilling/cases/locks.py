"""Named row locks of cases (DESIGN.md: locks have names)."""

from __future__ import annotations

from cspbilling.cases.models import Case


def lock_case(pk: int) -> Case:
    """The case row, locked until the transaction ends: one change to a case at a time."""
    return Case.objects.select_for_update().get(pk=pk)


def lock_cases(pks: list[int]) -> list[Case]:
    """Several cases (a merge), locked in primary-key order."""
    return list(Case.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
