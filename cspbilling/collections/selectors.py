"""Collections' read side: which version a customer is collected under, the switch, the lists."""

from __future__ import annotations

from cspbilling.collections.models import (
    Acknowledgement,
    PauseSwitch,
    Policy,
    PolicyVersion,
    PolicyVersionStatus,
)


def default_version() -> PolicyVersion | None:
    """The newest published version of the default policy (None before one is published)."""
    policy = Policy.objects.filter(is_default=True).first()
    if policy is None:
        return None
    return (
        policy.versions.filter(status=PolicyVersionStatus.PUBLISHED)
        .select_related("policy")
        .order_by("-number")
        .first()
    )


def latest_acknowledgement(customer_id: int) -> Acknowledgement | None:
    return (
        Acknowledgement.objects.filter(customer_id=customer_id)
        .select_related("version__policy")
        .order_by("-acknowledged_at", "-id")
        .first()
    )


def version_for(customer_id: int) -> tuple[PolicyVersion | None, bool]:
    """(the version the customer is collected under, whether it acknowledged it)."""
    ack = latest_acknowledgement(customer_id)
    if ack is not None:
        return ack.version, True
    return default_version(), False


def newer_version(version: PolicyVersion) -> PolicyVersion | None:
    """The newest published version of the same policy after `version` (offered to a customer
    who acknowledged `version`), or None."""
    return (
        version.policy.versions.filter(
            status=PolicyVersionStatus.PUBLISHED, number__gt=version.number
        )
        .select_related("policy")
        .order_by("-number")
        .first()
    )


def published_versions() -> list[PolicyVersion]:
    """Every published version, newest policy version first within each policy (a signed copy
    may be of any of them)."""
    return list(
        PolicyVersion.objects.filter(status=PolicyVersionStatus.PUBLISHED)
        .select_related("policy")
        .order_by("policy__name", "-number")
    )


def is_paused() -> PauseSwitch | None:
    """The switch when suspensions are paused, else None."""
    switch = PauseSwitch.objects.first()
    return switch if switch is not None and switch.paused else None


def notices_of_episode(episode_id: int):
    """The notices of an overdue episode with their delivery (proof of notice, for approvals)."""
    from cspbilling.collections.models import Action, ActionKind

    return (
        Action.objects.filter(episode_id=episode_id, kind=ActionKind.NOTIFY)
        .select_related("stage", "message")
        .order_by("stage__position")
    )


def waiting_approvals():
    from cspbilling.collections.models import Action, ActionStatus

    approvals = Action.objects.filter(status=ActionStatus.AWAITING_APPROVAL)
    return [
        (a, list(notices_of_episode(a.episode_id)))
        for a in approvals.select_related("customer", "stage").order_by("created_at")
    ]


def is_restricted(customer_id: int) -> bool:
    """The restrict flag: a restriction taken in the customer's open overdue episode (the
    partner's ordering tools refuse new orders and quantity increases while it is set)."""
    from cspbilling.collections.models import Action, ActionKind, ActionStatus

    return Action.objects.filter(
        customer_id=customer_id,
        kind=ActionKind.RESTRICT,
        status=ActionStatus.DONE,
        episode__closed_on=None,
    ).exists()


def customers_under_collections(customer_ids: list[int]) -> list[int]:
    """Those of `customer_ids` with an open overdue episode or a subscription collections
    suspended (what a change of money may close or reinstate), in key order."""
    from itertools import batched

    from cspbilling.collections.models import Episode
    from cspbilling.subscriptions.models import Suspension, SuspensionReason, SuspensionStatus

    found: set[int] = set()
    for chunk in batched(sorted(set(customer_ids)), 500):
        found.update(
            Episode.objects.filter(customer_id__in=chunk, closed_on=None).values_list(
                "customer_id", flat=True
            )
        )
        found.update(
            Suspension.objects.filter(
                subscription__customer_id__in=chunk,
                reason=SuspensionReason.NON_PAYMENT,
                status=SuspensionStatus.SUSPENDED,
            )
            .exclude(policy_version="")
            .values_list("subscription__customer_id", flat=True)
        )
    return sorted(found)
