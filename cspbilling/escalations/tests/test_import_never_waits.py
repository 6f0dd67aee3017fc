"""An upstream import carrying a promised credit never waits for the escalation's customer: it
holds the audit chain's head by then, and a collections run holds the customers it may suspend
and waits for that head (a deadlock). A customer held elsewhere leaves its credit unmatched for
the periodic job; the import itself succeeds. (SQLite locks no rows: there the credit is
matched at once.)"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, connections

from cspbilling.customers.models import Customer
from cspbilling.escalations.models import EscalationStatus
from cspbilling.escalations.services import do_match_credits, do_record_upheld
from cspbilling.escalations.tests.fixtures import credit_file, filed_escalation
from cspbilling.invoicing.models import CreditNote
from cspbilling.upstream.models import ImportBatch
from cspbilling.upstream.services import do_import_reconciliation_file

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_import_leaves_a_credit_whose_customer_is_busy_to_the_periodic_job(
    dispute_case, vianet, customer_a, tmp_path, caplog
):
    escalation = filed_escalation(dispute_case, vianet)
    do_record_upheld(escalation=escalation, promised_credit=Decimal("100.00"), actor="agent")
    postgresql = connection.vendor == "postgresql"
    busy = connections.create_connection("default")  # a collections run holding the customer
    busy.set_autocommit(False)
    if postgresql:
        with busy.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {Customer._meta.db_table} WHERE id = %s FOR UPDATE",
                [customer_a.pk],
            )
        with connection.cursor() as cursor:  # an import that waited would fail, not hang
            cursor.execute("SET lock_timeout = '5s'")
    path = credit_file(tmp_path, customer_a, [("sub-0", "-100.00")])
    caplog.set_level("INFO", logger="cspbilling")
    try:
        do_import_reconciliation_file(path=path, actor="t")  # returns: it did not wait
    finally:
        busy.rollback()
        busy.close()
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
    assert ImportBatch.objects.latest("pk").status == ImportBatch.Status.IMPORTED
    escalation.refresh_from_db()
    if postgresql:  # it did not wait for the customer (a lock timeout would say "failed")
        said = [r.getMessage() for r in caplog.records if r.name.startswith("cspbilling")]
        assert f"the credit of {escalation.reference} waits: its customer is busy" in said
        assert not [m for m in said if "failed" in m], said
        assert escalation.status == EscalationStatus.UPHELD  # its credit waits, unmatched
        assert not CreditNote.objects.exists()
        assert do_match_credits() == [escalation.reference]  # the periodic job, later
        escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.CLOSED
    assert CreditNote.objects.filter(status="issued").count() == 1
