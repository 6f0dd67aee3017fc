"""Invoices and credit notes issued before payments existed get their ledger entries, so every
balance is the ledger's sum from the first day."""

from django.db import migrations


def backfill(apps, schema_editor):
    Invoice = apps.get_model("invoicing", "Invoice")
    CreditNote = apps.get_model("invoicing", "CreditNote")
    LedgerEntry = apps.get_model("payments", "LedgerEntry")
    entries = [
        LedgerEntry(
            customer_id=invoice.customer_id,
            currency=invoice.currency,
            kind="invoice",
            amount_minor=invoice.total_minor,
            on=invoice.issued_on,
            invoice_id=invoice.pk,
            actor="migration",
        )
        for invoice in Invoice.objects.filter(status="issued").iterator()
    ]
    entries += [
        LedgerEntry(
            customer_id=note.customer_id,
            currency=note.currency,
            kind="credit_note",
            amount_minor=-note.total_minor,
            on=note.issued_on,
            credit_note_id=note.pk,
            actor="migration",
        )
        for note in CreditNote.objects.filter(status="issued").iterator()
    ]
    LedgerEntry.objects.bulk_create(entries, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("invoicing", "0007_supplementary_invoices"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
