"""A billing run: a month's upstream lines become draft invoices; every line is billed once or
listed as unbilled with its reason; re-running replaces drafts and never touches issued ones."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from cspbilling.audit.models import AuditEvent
from cspbilling.customers.models import Customer
from cspbilling.invoicing.models import (
    BilledUpstreamLine,
    Invoice,
    InvoiceLine,
    TaxCategory,
    UnbilledUpstreamLine,
)
from cspbilling.invoicing.services import do_create_price_rule, do_run_billing
from cspbilling.invoicing.tests.upstream_lines import add_lines, upstream_invoice

OCTOBER = dt.date(2026, 10, 1)
CENT = Decimal("0.01")


def _everyone(cloud, percent="10", **fields):
    return do_create_price_rule(
        actor="finance1",
        name=f"everyone {percent}%",
        method=fields.pop("method", "percent"),
        percent=percent,
        tax_category=cloud,
        effective_from=dt.date(2026, 1, 1),
        **fields,
    )


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


@pytest.fixture
def october(make_customer, cloud):
    """Contoso: two E3 lines on one subscription and one Visio line; a stranger's line."""
    contoso = make_customer("Contoso")
    invoice, batch = upstream_invoice(OCTOBER)
    ids = add_lines(
        invoice,
        batch,
        [
            {"tenant": contoso.tenant_id, "subscription": "e3", "amount": "100.005", "quantity": 2},
            {"tenant": contoso.tenant_id, "subscription": "e3", "amount": "50.001", "quantity": 1},
            {
                "tenant": contoso.tenant_id,
                "subscription": "visio",
                "offer": "VISIO",
                "amount": "33.33",
                "quantity": 1,
            },
            {"tenant": uuid.uuid4(), "subscription": "x", "amount": "10", "quantity": 1},
        ],
    )
    return contoso, ids


@pytest.mark.django_db
def test_a_run_makes_one_draft_per_customer_grouped_priced_and_traced(october, cloud):
    contoso, ids = october
    _everyone(cloud, "10")
    run = do_run_billing(period=dt.date(2026, 10, 17), actor="finance1")
    invoice = Invoice.objects.get()
    assert (invoice.customer, invoice.status, invoice.period) == (contoso, "draft", OCTOBER)
    e3, visio = invoice.lines.order_by("subscription_id")
    # 150.006 upstream, +10% = 165.0066 → 165.01 once; tax 6% of 165.01 = 9.9006 → 9.90.
    assert (e3.upstream_lines, e3.quantity, e3.net_minor, e3.tax_minor) == (2, 3, 16501, 990)
    assert (visio.net_minor, visio.tax_minor) == (3666, 220)  # 36.663 → 36.66; 2.1996 → 2.20
    assert invoice.subtotal_minor == 16501 + 3666 and invoice.tax_minor == 990 + 220
    assert invoice.total_minor == invoice.subtotal_minor + invoice.tax_minor
    traced = dict(BilledUpstreamLine.objects.values_list("upstream_line_id", "invoice_line_id"))
    assert traced == {ids[0]: e3.pk, ids[1]: e3.pk, ids[2]: visio.pk}
    assert list(UnbilledUpstreamLine.objects.values_list("upstream_line_id", "reason")) == [
        (ids[3], "customer_unknown")
    ]
    assert run.summary["upstream_lines"] == 4 and run.summary["billed_lines"] == 3
    assert run.summary["amounts"]["CNY"] == {
        "subtotal": "201.67",
        "tax": "12.10",
        "total": "213.77",
    }
    assert AuditEvent.objects.filter(action="billing_run.completed").count() == 1


@pytest.mark.django_db
def test_running_again_replaces_the_drafts_and_a_dry_run_keeps_nothing(october, cloud):
    _everyone(cloud, "10")
    first = do_run_billing(period=OCTOBER, actor="finance1")
    again = do_run_billing(period=OCTOBER, actor="finance1")
    assert again.summary["drafts_replaced"] == 1
    assert Invoice.objects.get().billing_run == again
    assert {k: v for k, v in again.summary.items() if k != "drafts_replaced"} == {
        k: v for k, v in first.summary.items() if k != "drafts_replaced"
    }
    assert BilledUpstreamLine.objects.count() == 3
    dry = do_run_billing(period=OCTOBER, actor="finance1", dry_run=True)
    assert dry.summary["invoices"] == 1 and dry.summary["drafts_replaced"] == 1
    assert Invoice.objects.get().billing_run == again  # the dry run changed nothing
    assert not dry.unbilled.exists()


@pytest.mark.django_db
def test_issued_invoices_are_never_touched_and_their_lines_are_already_billed(october, cloud):
    _everyone(cloud, "10")
    do_run_billing(period=OCTOBER, actor="finance1")
    Invoice.objects.update(status="issued", number="INV-2026-000001")
    issued = Invoice.objects.get()
    run = do_run_billing(period=OCTOBER, actor="finance1")
    assert list(Invoice.objects.all()) == [issued]
    assert issued.lines.count() == 2 and BilledUpstreamLine.objects.count() == 3
    assert run.summary["unbilled_by_reason"] == {"already_billed": 3, "customer_unknown": 1}


@pytest.mark.django_db
def test_lines_without_a_rule_or_excluded_are_listed_with_the_reason(october, cloud):
    contoso, ids = october
    _everyone(cloud, "0", offer_id="MS-AZR-0001")
    do_create_price_rule(
        actor="finance1",
        name="Visio is on us",
        customer=contoso,
        offer_id="VISIO",
        method="exclude",
        tax_category=cloud,
        effective_from=dt.date(2026, 1, 1),
    )
    run = do_run_billing(period=OCTOBER, actor="finance1")
    assert run.summary["unbilled_by_reason"] == {"customer_unknown": 1, "excluded_offer": 1}
    _everyone(cloud, "5", offer_id="OTHER")  # changes nothing for these lines
    assert InvoiceLine.objects.get().net_minor == 15001  # 150.006 at cost
    UnbilledUpstreamLine.objects.all().delete()


@pytest.mark.django_db
def test_one_customer_can_be_billed_alone(october, make_customer, cloud):
    contoso, _ = october
    other = make_customer("Other")
    invoice, batch = upstream_invoice(OCTOBER)
    add_lines(invoice, batch, [{"tenant": other.tenant_id, "amount": "7", "quantity": 1}])
    _everyone(cloud, "0")
    do_run_billing(period=OCTOBER, actor="finance1")
    Invoice.objects.filter(customer=contoso).update(status="issued", number="INV-1")
    run = do_run_billing(period=OCTOBER, actor="finance1", customer=other)
    assert run.summary["invoices"] == 1 and run.summary["upstream_lines"] == 1
    assert Invoice.objects.filter(customer=contoso, status="issued").count() == 1


# Money invariants on random months, on the database of the run (SQLite or PostgreSQL).
line = st.fixed_dictionaries(
    {
        "customer": st.integers(0, 3),
        "subscription": st.sampled_from(["s1", "s2", "s3"]),
        "offer": st.sampled_from(["A", "B"]),
        "amount": st.one_of(
            st.sampled_from([Decimal("0.125"), Decimal("1.005"), Decimal("-2.675")]),  # half a fen
            st.decimals(min_value=Decimal("-500"), max_value=Decimal("99999"), places=6),
        ),
        "quantity": st.integers(-3, 500),
    }
)


class TestInvariants(TestCase):
    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        lines=st.lists(line, min_size=1, max_size=40),
        percent=st.one_of(
            st.just(Decimal(0)),
            st.decimals(min_value=Decimal(-100), max_value=Decimal(300), places=3),
        ),
        runs=st.integers(1, 2),
    )
    def test_every_line_is_billed_once_or_unbilled_and_totals_are_sums(self, lines, percent, runs):
        cloud, _ = TaxCategory.objects.get_or_create(
            code="cloud-services", defaults={"name": "Cloud", "rate": Decimal("0.06")}
        )
        customers = [
            Customer.objects.create(tenant_id=uuid.uuid4(), company_name=f"C{n}") for n in range(3)
        ]
        tenants = [c.tenant_id for c in customers] + [uuid.uuid4()]  # the 4th is unknown
        invoice, batch = upstream_invoice(OCTOBER)
        ids = add_lines(
            invoice,
            batch,
            [{**row, "tenant": tenants[row["customer"]]} for row in lines],
        )
        do_create_price_rule(
            actor="t",
            name="A",
            offer_id="A",
            method="percent",
            percent=percent,
            tax_category=cloud,
            effective_from=dt.date(2026, 1, 1),
        )
        for _ in range(runs):
            run = do_run_billing(period=OCTOBER, actor="t")
        billed = set(BilledUpstreamLine.objects.values_list("upstream_line_id", flat=True))
        unbilled = list(run.unbilled.values_list("upstream_line_id", flat=True))
        assert billed.isdisjoint(unbilled) and len(unbilled) == len(set(unbilled))
        assert billed | set(unbilled) == set(ids)
        for inv in Invoice.objects.all():
            lines_of = list(inv.lines.all())
            assert inv.subtotal_minor == sum(x.net_minor for x in lines_of)
            assert inv.tax_minor == sum(x.tax_minor for x in lines_of)
            assert inv.total_minor == inv.subtotal_minor + inv.tax_minor
            for invoice_line in lines_of:
                exact = sum(
                    Decimal(r["amount"])
                    for r, pk in zip(lines, ids, strict=True)
                    if pk
                    in set(
                        invoice_line.billed_upstream_lines.values_list(
                            "upstream_line_id", flat=True
                        )
                    )
                )
                assert Decimal(invoice_line.upstream_amount_micro).scaleb(-6) == exact
                net = _cents(exact * (100 + percent) / 100)
                assert Decimal(invoice_line.net_minor).scaleb(-2) == net
                assert Decimal(invoice_line.tax_minor).scaleb(-2) == _cents(net * Decimal("0.06"))


@pytest.mark.django_db
def test_the_command_line_runs_a_month_and_says_what_it_did(october, cloud, capsys):
    from django.core.management import CommandError, call_command

    _everyone(cloud, "10")
    call_command("billing", "run", "--period", "2026-10", "--dry-run")
    said = capsys.readouterr().out
    assert "dry run (nothing kept)" in said and "CNY: subtotal 201.67, tax 12.10" in said
    assert "unbilled, customer unknown: 1" in said and not Invoice.objects.exists()
    call_command("billing", "run", "--period", "2026-10", "--json")
    summary = json.loads(capsys.readouterr().out)
    assert (summary["period"], summary["invoices"], summary["billed_lines"]) == ("2026-10", 1, 3)
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("billing", "run", "--period", "10/2026")
    with pytest.raises(CommandError, match="no such customer"):
        call_command("billing", "run", "--period", "2026-10", "--customer", str(uuid.uuid4()))


@pytest.mark.django_db
def test_2016_lines_bill_through_the_mapped_customer_number(make_customer, cloud):
    from cspbilling.upstream.services.matching import do_map_customer_number

    contoso = make_customer("Contoso")
    invoice, batch = upstream_invoice(OCTOBER)
    ids = add_lines(
        invoice,
        batch,
        [
            {"tenant": None, "customer_number": "10042", "amount": "10"},
            {"tenant": None, "customer_number": "10099", "amount": "20"},
        ],
    )
    _everyone(cloud, "0")
    run = do_run_billing(period=OCTOBER, actor="t")
    assert run.summary["unbilled_by_reason"] == {"customer_number_not_mapped": 2}
    do_map_customer_number(customer=contoso, customer_number="10042", actor="finance1")
    run = do_run_billing(period=OCTOBER, actor="t")
    assert run.summary["unbilled_by_reason"] == {"customer_number_not_mapped": 1}
    assert Invoice.objects.get().customer == contoso
    traced = BilledUpstreamLine.objects.values_list("upstream_line_id", flat=True)
    assert list(traced) == [ids[0]]


@pytest.mark.django_db
def test_the_worker_drafts_last_months_invoices_once_on_the_billing_day(october, cloud, settings):
    from unittest.mock import patch

    from cspbilling.core.scheduling import periodic_jobs
    from cspbilling.invoicing.tasks import MONTHLY_BILLING_JOB, monthly_billing_run

    settings.BILLING_RUN_DAY = 5
    _everyone(cloud, "10")
    job = next(job for job in periodic_jobs() if job.name == MONTHLY_BILLING_JOB)
    assert job.interval() == dt.timedelta(days=1)
    with patch("django.utils.timezone.localdate", return_value=dt.date(2026, 11, 4)):
        assert monthly_billing_run.call().startswith("skipped: billing runs on day 5")
    assert not Invoice.objects.exists()
    with patch("django.utils.timezone.localdate", return_value=dt.date(2026, 11, 5)):
        assert monthly_billing_run.call() == "billed 2026-10: 1 drafts"
        assert "already billed" in monthly_billing_run.call()
    assert Invoice.objects.get().billing_run.requested_by == "scheduler"
    settings.BILLING_RUN_DAY = 0
    assert job.interval() is None
