"""A verification whose worker died does not block every later one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cspbilling.audit.models import ChainVerification
from cspbilling.audit.services import VERIFICATION_ABANDONED_AFTER, do_request_chain_verification

pytestmark = pytest.mark.django_db


def _running(*, silent_for: timedelta) -> ChainVerification:
    heartbeat = timezone.now() - silent_for
    return ChainVerification.objects.create(
        requested_by="alice",
        status=ChainVerification.Status.RUNNING,
        started_at=heartbeat,
        heartbeat_at=heartbeat,
        progress_done=10,
        progress_total=100,
    )


def test_a_silent_running_verification_is_failed_with_the_reason_when_the_next_is_asked():
    abandoned = _running(silent_for=VERIFICATION_ABANDONED_AFTER + timedelta(minutes=1))

    verification, created = do_request_chain_verification(actor="bob")

    assert created and verification.pk != abandoned.pk
    assert verification.status == ChainVerification.Status.QUEUED
    abandoned.refresh_from_db()
    assert abandoned.status == ChainVerification.Status.FAILED
    assert abandoned.finished_at is not None
    assert "abandoned: no sign of life since" in abandoned.error
    assert "the process running it stopped" in abandoned.error


def test_a_running_verification_that_shows_life_still_blocks_the_next():
    alive = _running(silent_for=VERIFICATION_ABANDONED_AFTER - timedelta(minutes=1))

    verification, created = do_request_chain_verification(actor="bob")

    assert not created and verification.pk == alive.pk
    alive.refresh_from_db()
    assert alive.status == ChainVerification.Status.RUNNING
    assert ChainVerification.objects.count() == 1
