from __future__ import annotations

from cspbilling.audit.models import AuditChainHead


def lock_audit_chain_head() -> AuditChainHead:
    """The chain head, locked for the rest of the transaction (created on first use)."""
    AuditChainHead.objects.get_or_create(id=1)
    return AuditChainHead.objects.select_for_update().get(id=1)
