"""21Vianet's credit for an upheld escalation reaches the customer exactly once: through the
escalation's credit note or through the billing run, never both, whichever comes first. The
real flow: the sandbox's 21Vianet over HTTP puts the credit on its next invoice, the import
fetches it, the billing run bills that month."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cspbilling.escalations.models import EscalationStatus
from cspbilling.escalations.services import do_record_upheld

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.xfail(strict=True, reason="the billing run bills the matched credit again: 212.00")
def test_a_credit_matched_first_is_not_billed_again(sandbox_dispute):
    s = sandbox_dispute
    do_record_upheld(escalation=s.escalation, promised_credit=Decimal("100"), actor="finance")
    s.credit_next_invoice("100.00")
    s.escalation.refresh_from_db()
    assert s.escalation.status == EscalationStatus.CLOSED
    assert s.credited() == 10600  # the credit note: 100.00 + 6 % VAT

    _, draft = s.bill(issue=True)
    assert draft is not None  # its other November charges
    assert s.credited() == 10600  # once
    assert not draft.lines.filter(charge_type="Credit").exists()
