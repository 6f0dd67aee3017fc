"""A change of what customers owe locks the customers before the audit chain's head, as
payments, dispute holds and the collections run do. Taking the head first and a customer after
deadlocked with a collections run, which holds the customers it may suspend and then the head:
a credit note issued while the run suspended its customer failed with "deadlock detected"
(collections/tests/test_safety.py runs that on PostgreSQL; here, the order itself, on both
engines)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cspbilling.invoicing.models import Invoice
from cspbilling.invoicing.services import do_credit_invoice, do_issue_invoices
from cspbilling.invoicing.tests.test_issuing import _drafts

pytestmark = pytest.mark.django_db

CUSTOMER_READ = re.compile(r'FROM "customers_customer" WHERE "customers_customer"\."id"')
HEAD = 'FROM "audit_auditchainhead"'


def _before_the_head(work) -> list[str]:
    """The statements reading customers by id (their locks) that `work` runs before its first
    statement on the audit chain's head."""
    with CaptureQueriesContext(connection) as captured:
        work()
    statements = [query["sql"] for query in captured.captured_queries]
    head = next(n for n, sql in enumerate(statements) if HEAD in sql)
    return [sql for sql in statements[:head] if CUSTOMER_READ.search(sql)]


def test_issuing_invoices_locks_every_customer_before_the_audit_chain(make_customer, cloud):
    drafts = _drafts(make_customer, cloud, 3)
    locks = _before_the_head(
        lambda: do_issue_invoices(invoices=drafts, actor="finance1", on=dt.date(2026, 11, 3))
    )
    ids = {str(draft.customer_id) for draft in drafts}
    assert any(ids <= set(re.findall(r"\d+", sql)) for sql in locks), locks  # all three
    assert Invoice.objects.filter(status="issued").count() == 3


def test_a_credit_note_locks_its_customer_before_the_audit_chain(issued_invoice):
    invoice = issued_invoice(amounts=("100",))
    locks = _before_the_head(
        lambda: do_credit_invoice(invoice=invoice, reason="goodwill", actor="finance1")
    )
    assert any(str(invoice.customer_id) in re.findall(r"\d+", sql) for sql in locks), locks
