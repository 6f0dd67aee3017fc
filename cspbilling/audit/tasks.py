"""Background work for the audit log."""

from __future__ import annotations

from django.tasks import task


@task()
def verify_audit_chain(verification_id: int) -> str:
    from cspbilling.audit.services import do_run_chain_verification

    verification = do_run_chain_verification(verification_id=verification_id)
    return "intact" if verification.intact else f"{verification.problem_count} problem(s)"
