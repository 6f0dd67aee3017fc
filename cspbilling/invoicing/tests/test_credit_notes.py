"""Credit notes: whole or per line, never beyond a line, numbered in their own series, emailed."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from cspbilling.audit.models import AuditEvent
from cspbilling.invoicing.credits import CreditError, creditable_lines
from cspbilling.invoicing.models import CreditNote, CreditNoteLine, Invoice
from cspbilling.invoicing.services import (
    do_credit_invoice,
    do_discard_credit_note,
    do_draft_credit_note,
    do_issue_credit_note,
)
from cspbilling.notifications.models import OutboundMessage

NOV_10 = dt.date(2026, 11, 10)


def _line(invoice: Invoice, subscription: str):
    return invoice.lines.get(subscription_id=subscription)


@pytest.mark.django_db
def test_a_whole_credit_gives_back_the_invoice_and_is_numbered_in_its_own_series(issued_invoice):
    invoice = issued_invoice(("100", "50.05"))
    assert invoice.number == "INV-2026-000001" and invoice.total == Decimal("159.05")
    note = do_credit_invoice(invoice=invoice, reason="Cancelled order", actor="finance1", on=NOV_10)
    assert (note.number, note.status, note.issued_on) == ("CN-2026-000001", "issued", NOV_10)
    assert (note.subtotal, note.tax, note.total) == (invoice.subtotal, invoice.tax, invoice.total)
    assert note.lines.count() == 2
    event = AuditEvent.objects.get(action="credit_note.issued")
    assert event.object_id == "CN-2026-000001" and event.after["total"] == "159.05"
    with pytest.raises(CreditError, match="nothing left to credit on INV-2026-000001"):
        do_credit_invoice(invoice=invoice, reason="again", actor="finance1")
    assert CreditNote.objects.count() == 1


@pytest.mark.django_db
def test_a_partial_credit_takes_its_tax_half_up_and_an_overcredit_changes_nothing(issued_invoice):
    invoice = issued_invoice(("100", "50.05"))
    line = _line(invoice, "sub-0")
    note = do_credit_invoice(
        invoice=invoice, reason="Two seats unused", actor="f", amounts={line.pk: Decimal("40.01")}
    )
    assert (note.subtotal, note.tax, note.total) == (
        Decimal("40.01"),
        Decimal("2.40"),  # 2.4006
        Decimal("42.41"),
    )
    with pytest.raises(CreditError, match=rf"line {line.pk} .*more than the 59.99 left"):
        do_credit_invoice(invoice=invoice, reason="x", actor="f", amounts={line.pk: Decimal("60")})
    for bad, why in (("-1", "sign of its line"), ("0", "gives nothing"), ("1.001", "decimal")):
        with pytest.raises(CreditError, match=why):
            do_credit_invoice(invoice=invoice, reason="x", actor="f", amounts={line.pk: bad})
    with pytest.raises(CreditError, match="needs a reason"):
        do_credit_invoice(invoice=invoice, reason="  ", actor="f", amounts={line.pk: "1"})
    assert CreditNote.objects.count() == 1 and CreditNoteLine.objects.count() == 1


@pytest.mark.django_db
def test_a_draft_holds_its_amount_until_discarded_and_an_invoice_draft_cannot_be_credited(
    issued_invoice,
):
    invoice = issued_invoice(("100",))
    draft = do_draft_credit_note(invoice=invoice, reason="Review", actor="f")
    assert draft.number is None and draft.status == "draft"
    with pytest.raises(CreditError, match="nothing left"):
        do_draft_credit_note(invoice=invoice, reason="Twice", actor="f")
    do_discard_credit_note(credit_note=draft, actor="f", reason="Not owed after all")
    assert creditable_lines(invoice)[0].net_minor == 10000
    again = do_draft_credit_note(invoice=invoice, reason="Owed", actor="f")
    do_issue_credit_note(credit_note=again, actor="f")
    assert again.number.startswith("CN-") and again.status == "issued"
    invoice.status = "draft"
    invoice.save()
    with pytest.raises(CreditError, match="is not issued"):
        do_draft_credit_note(invoice=invoice, reason="x", actor="f")


@pytest.mark.django_db
def test_the_customer_gets_the_credit_note_in_its_language_with_the_pdf(issued_invoice):
    from cspbilling.customers.models import BillingContact

    invoice = issued_invoice(("100",), company_name="北京示例科技有限公司", language="zh-hans")
    BillingContact.objects.create(customer=invoice.customer, email="ap@example.cn")
    note = do_credit_invoice(invoice=invoice, reason="退订两个席位", actor="f")
    email = OutboundMessage.objects.get(object_type="credit_note")
    assert email.payload["to"] == ["ap@example.cn"]
    assert note.number in email.payload["subject"] and "贷项通知单" in email.payload["subject"]
    assert "退订两个席位" in email.payload["body"]
    assert email.payload["attachments"] == [
        {"kind": "invoicing.credit_note_pdf", "ref": note.number}
    ]


@pytest.mark.django_db
def test_the_credit_note_pdf_names_the_customer_the_invoice_and_the_reason(
    issued_invoice, artifacts_dir
):
    from cspbilling.invoicing.pdf.render import render_credit_note_png
    from cspbilling.invoicing.tasks import credit_note_pdf

    invoice = issued_invoice(("100",), company_name="北京示例科技有限公司", language="zh-hans")
    note = do_credit_invoice(invoice=invoice, reason="退订两个席位", actor="f")
    attachment = credit_note_pdf(note.number)
    assert attachment.filename == f"{note.number}.pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(attachment.content)).pages)
    for expected in ("北京示例科技有限公司", invoice.number, note.number, "退订两个席位", "106.00"):
        assert expected in text
    assert "贷项通知单" in text and "Amount due" not in text and "应付金额" not in text
    (artifacts_dir / "credit-note-zh.png").write_bytes(render_credit_note_png(note))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cents=st.integers(min_value=1, max_value=10_000_000),
    cuts=st.lists(st.integers(min_value=1, max_value=999), min_size=0, max_size=5),
)
@pytest.mark.django_db
def test_credits_in_steps_never_exceed_a_line_and_a_full_credit_gives_back_exactly_its_tax(
    issued_invoice, cents, cuts
):
    amount = Decimal(cents).scaleb(-2)
    invoice = issued_invoice((str(amount),))
    line = invoice.lines.get()
    left = line.net_minor
    for cut in cuts:  # credit a share of what is left, then the rest
        step = left * cut // 1000
        if step <= 0:
            continue
        do_credit_invoice(
            invoice=invoice, reason="step", actor="f", amounts={line.pk: Decimal(step).scaleb(-2)}
        )
        left -= step
        credited = CreditNoteLine.objects.filter(invoice_line=line)
        assert sum(c.tax_minor for c in credited) <= line.tax_minor
    do_credit_invoice(invoice=invoice, reason="rest", actor="f")
    credited = CreditNoteLine.objects.filter(invoice_line=line)
    assert sum(c.net_minor for c in credited) == line.net_minor
    assert sum(c.tax_minor for c in credited) == line.tax_minor
    assert sum(n.total_minor for n in CreditNote.objects.filter(invoice=invoice)) == (
        invoice.total_minor
    )
