"""A customer owing in more than one currency: its stage counts the currency of its oldest
overdue invoice (the policy's amounts are in that one), and the notice states every amount."""

from __future__ import annotations

import datetime as dt

import pytest

from cspbilling.collections import decisions
from cspbilling.collections.models import Action
from cspbilling.collections.tests.fixtures import run_day
from cspbilling.invoicing.models import Invoice

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

DUE = dt.date(2026, 4, 28)
FINAL = dt.date(2026, 5, 21)


@pytest.mark.parametrize(
    ("language", "also"),
    [
        ("en", "Also overdue, in other currencies: 212.00 USD."),
        ("fr", "Également en retard, dans d'autres devises : 212.00 USD."),
        ("zh-hans", "其他币种的逾期金额：212.00 USD。"),
    ],
)
def test_a_notice_states_what_is_owed_in_every_currency(
    pc_settings, smtp_server, overdue_customer, overdue_invoice, language, also
):
    m, cny = overdue_customer(DUE, language=language)
    usd = overdue_invoice(DUE + dt.timedelta(days=3), amounts=("200",), customer=m.customer)
    Invoice.objects.filter(pk=usd.pk).update(currency="USD")

    result = run_day(FINAL)

    [mail] = smtp_server.received
    body = mail.get_payload(decode=True).decode()
    assert "1,060.00" in body and "CNY" in body  # the template's amount: the oldest invoice's
    assert also in body
    assert usd.number in body and cny.number in body
    notice = Action.objects.get(customer=m.customer, kind="notify", status="done")
    assert (notice.amount_minor, notice.currency) == (106000, "CNY")
    [described] = [a for a in result.actions if a["action"] == "notify" and a["status"] == "done"]
    assert described["also_owed"] == {"USD": "212.00"}
    # The run's one read of the book says what the single-customer read says.
    overdue, numbers = decisions.overdue_book(FINAL)
    assert overdue == decisions.overdue_customers(FINAL, customer_id=m.customer.pk)
    assert numbers == {m.customer.pk: [cny.number, usd.number]}
