"""The demo has a case in every state, one of them arrived by email through the inbound side of
the local mail catcher (a Maildir), a dispute on hold and an unknown sender in triage."""

from __future__ import annotations

import mailbox

import pytest

from cspbilling.cases.models import Case, CaseStatus
from cspbilling.ops.demo import load_demo_data


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_demo_has_cases_in_every_state_one_by_email(pc_sandbox, settings, cloud, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.PARTNER_CENTER = {
        **settings.PARTNER_CENTER,
        "BASE_URL": pc_sandbox.base_url,
        "SANDBOX_TOKEN": pc_sandbox.token,
    }
    said = load_demo_data()
    assert "support cases (2 arrived by email)" in said, said
    assert set(Case.objects.values_list("status", flat=True)) == set(CaseStatus.values)
    by_email = Case.objects.get(channel="email", customer__isnull=False)
    assert by_email.status == CaseStatus.OPEN and by_email.subject == "关于上月发票金额的疑问"
    assert "Microsoft 365 E3" in by_email.messages.order_by("pk").first().body
    assert Case.objects.filter(customer=None).count() == 1  # the unknown sender, in triage
    assert Case.objects.filter(category="dispute", disputed_invoice__isnull=False).exists()
    inbound = mailbox.Maildir(tmp_path / "mail" / "inbound", create=False)
    assert len(inbound) == 2 and all("S" in m.get_flags() for m in inbound)
    again = load_demo_data()  # again: no more
    assert f", {Case.objects.count()} support cases," in again or again.endswith(
        f"{Case.objects.count()} support cases"
    )
