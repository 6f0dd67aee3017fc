"""Verifying the chain in the background: asking for it, running it, recording the result.

(audit/services.py appends events inside other transactions; these are staff operations with
their own transactions, so they live here.)
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from cspbilling.audit.models import AuditEvent, ChainVerification
from cspbilling.audit.selectors import verify_chain

PROBLEMS_KEPT = 200
PROGRESS_MIN_INTERVAL = 0.5  # seconds between progress writes

ACTIVE = (ChainVerification.Status.QUEUED, ChainVerification.Status.RUNNING)


def request_chain_verification(*, actor: str) -> tuple[ChainVerification, bool]:
    """Queue a verification for the worker (row and task in one transaction); returns it and
    True. If one is already queued or running, returns that one and False."""
    from cspbilling.audit.tasks import verify_audit_chain

    with transaction.atomic(durable=True):
        existing = ChainVerification.objects.filter(status__in=ACTIVE).first()
        if existing is not None:
            return existing, False
        verification = ChainVerification.objects.create(requested_by=actor)
        result = verify_audit_chain.enqueue(verification_id=verification.pk)
        verification.task_id = uuid.UUID(str(result.id))
        verification.save(update_fields=["task_id"])
    return verification, True


def run_chain_verification(
    *, verification_id: int, clock: Callable[[], float] = time.monotonic
) -> ChainVerification:
    """Recompute the whole chain, writing progress at most twice a second. A verification
    already finished is left alone."""
    verification = ChainVerification.objects.get(pk=verification_id)
    if verification.status not in ACTIVE:
        return verification
    rows = ChainVerification.objects.filter(pk=verification_id)
    rows.update(
        status=ChainVerification.Status.RUNNING,
        started_at=timezone.now(),
        total=AuditEvent.objects.count(),
        checked=0,
    )
    checked = 0
    last_write = clock()

    def progress(amount: int) -> None:
        nonlocal checked, last_write
        checked += amount
        now = clock()
        if now - last_write >= PROGRESS_MIN_INTERVAL:
            last_write = now
            rows.update(checked=checked)

    try:
        report = verify_chain(progress=progress)
    except Exception as exc:
        rows.update(
            status=ChainVerification.Status.FAILED,
            finished_at=timezone.now(),
            checked=checked,
            error=" ".join(f"{type(exc).__name__}: {exc}".split())[:500],
        )
        raise
    rows.update(
        status=ChainVerification.Status.SUCCEEDED,
        finished_at=timezone.now(),
        checked=report.checked,
        intact=report.ok,
        problems=report.problems[:PROBLEMS_KEPT],
        problem_count=len(report.problems),
    )
    return ChainVerification.objects.get(pk=verification_id)
