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


def is_paused() -> PauseSwitch | None:
    """The switch when suspensions are paused, else None."""
    switch = PauseSwitch.objects.first()
    return switch if switch is not None and switch.paused else None
