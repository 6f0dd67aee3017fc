"""Policies: drafting a version (console or YAML), publishing it (after which it never changes),
and recording a customer's acknowledgement of a published version."""

from __future__ import annotations

from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.collections.models import (
    Acknowledgement,
    AcknowledgementMethod,
    Policy,
    PolicyVersion,
    PolicyVersionStatus,
    Stage,
)
from cspbilling.collections.policy_rules import (
    PolicyError,
    PolicySpec,
    parse_spec,
    spec_of_version,
)
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.customers.locks import lock_customer
from cspbilling.customers.models import Customer


class PublishedVersionError(PolicyError):
    """A published version was asked to change: make a new draft instead."""


def _lock_version(version: PolicyVersion) -> PolicyVersion:
    return PolicyVersion.objects.select_for_update().select_related("policy").get(pk=version.pk)


def _write_stages(version: PolicyVersion, spec: PolicySpec) -> None:
    Stage.objects.filter(version=version).delete()
    Stage.objects.bulk_create(
        [Stage(version=version, **stage.model_fields()) for stage in spec.stages]
    )


@transaction_step
def draft_policy_version(*, spec: PolicySpec, actor: str) -> PolicyVersion:
    """The policy's open draft set to `spec` (a new draft when every version is published)."""
    policy, _ = Policy.objects.get_or_create(name=spec.name)
    if spec.is_default and not policy.is_default:
        Policy.objects.filter(is_default=True).update(is_default=False)
        policy.is_default = True
        policy.save(update_fields=["is_default"])
    draft = (
        PolicyVersion.objects.select_for_update()
        .filter(policy=policy, status=PolicyVersionStatus.DRAFT)
        .first()
    )
    if draft is None:
        last = policy.versions.order_by("-number").values_list("number", flat=True).first()
        draft = PolicyVersion.objects.create(
            policy=policy,
            number=(last or 0) + 1,
            min_notice_days=spec.min_notice_days,
            created_by=actor,
        )
    else:
        draft.min_notice_days = spec.min_notice_days
        draft.save(update_fields=["min_notice_days"])
    _write_stages(draft, spec)
    record_event(
        actor=actor,
        action=AuditAction.POLICY_DRAFTED,
        object_type="collections_policy_version",
        object_id=draft.pk,
        after={"label": draft.label, "stages": [s.code for s in spec.stages]},
    )
    return draft


@transaction_step
def update_draft_version(*, version: PolicyVersion, spec: PolicySpec, actor: str) -> PolicyVersion:
    """Change a draft's stages; a published version refuses (PublishedVersionError)."""
    version = _lock_version(version)
    if version.status != PolicyVersionStatus.DRAFT:
        raise PublishedVersionError(
            [f"{version.label} is published and never changes: make a new draft"]
        )
    version.min_notice_days = spec.min_notice_days
    version.save(update_fields=["min_notice_days"])
    _write_stages(version, spec)
    record_event(
        actor=actor,
        action=AuditAction.POLICY_DRAFTED,
        object_type="collections_policy_version",
        object_id=version.pk,
        after={"label": version.label, "stages": [s.code for s in spec.stages]},
    )
    return version


@transaction_step
def publish_policy_version(*, version: PolicyVersion, actor: str) -> PolicyVersion:
    """Publish a draft, checked again as stored; from now on it never changes."""
    version = _lock_version(version)
    if version.status != PolicyVersionStatus.DRAFT:
        raise PublishedVersionError([f"{version.label} is already published"])
    parse_spec(spec_of_version(version))  # the stored stages pass the rules, or PolicyError
    version.status = PolicyVersionStatus.PUBLISHED
    version.published_at, version.published_by = timezone.now(), actor
    version.save(update_fields=["status", "published_at", "published_by"])
    record_event(
        actor=actor,
        action=AuditAction.POLICY_PUBLISHED,
        object_type="collections_policy_version",
        object_id=version.pk,
        after={"label": version.label},
    )
    return version


@transaction_step
def acknowledge_policy(
    *,
    customer: Customer,
    version: PolicyVersion,
    method: AcknowledgementMethod | str,
    acknowledged_by: str,
    actor: str,
    acknowledged_at=None,
    note: str = "",
) -> Acknowledgement:
    """Record that the customer agreed to a published version (a portal click, or a signed copy
    staff received: who signed and when)."""
    if method not in AcknowledgementMethod.values:
        raise PolicyError([f"{method!r} is not a way to acknowledge a policy"])
    if version.status != PolicyVersionStatus.PUBLISHED:
        raise PolicyError([f"{version.label} is a draft: only a published version is agreed to"])
    if not acknowledged_by.strip():
        raise PolicyError(["say who acknowledged the policy"])
    lock_customer(customer.pk)
    ack = Acknowledgement.objects.create(
        customer=customer,
        version=version,
        method=method,
        acknowledged_by=acknowledged_by.strip(),
        acknowledged_at=acknowledged_at or timezone.now(),
        recorded_by=actor,
        note=note,
    )
    record_event(
        actor=actor,
        action=AuditAction.POLICY_ACKNOWLEDGED,
        object_type="customer",
        object_id=customer.pk,
        after={
            "version": version.label,
            "method": str(method),
            "acknowledged_by": ack.acknowledged_by,
            "acknowledged_at": ack.acknowledged_at,
        },
    )
    return ack


do_draft_policy_version = entry_point(draft_policy_version)
do_update_draft_version = entry_point(update_draft_version)
do_publish_policy_version = entry_point(publish_policy_version)
do_acknowledge_policy = entry_point(acknowledge_policy)
