"""Price rules: the most specific rule in effect wins, ties are refused when saved, every change
is audited, bad input names its field and saves nothing."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from cspbilling.audit.models import AuditEvent
from cspbilling.customers.services import do_assign_customer_group, do_create_customer_group
from cspbilling.invoicing.models import PriceRule, TaxCategory
from cspbilling.invoicing.price_rules import rule_for
from cspbilling.invoicing.services import (
    do_change_price_rule,
    do_create_price_rule,
    do_end_price_rule,
)

E3 = "CFQ7TTC0LFLZ"
JAN1 = dt.date(2026, 1, 1)


def _rule(cloud, **fields) -> PriceRule:
    fields.setdefault("name", "rule")
    fields.setdefault("method", "percent")
    fields.setdefault("percent", "10")
    fields.setdefault("effective_from", JAN1)
    return do_create_price_rule(actor="finance1", tax_category=cloud, **fields)


def test_cloud_services_are_taxed_at_six_percent_out_of_the_box(db):
    # Non-transactional tests run before any flush: this row is the migration's.
    assert TaxCategory.objects.get(code="cloud-services").rate == Decimal("0.06")


def test_the_most_specific_rule_in_effect_prices_the_charge(make_customer, cloud):
    group = do_create_customer_group(name="Education", actor="admin1")
    school = make_customer("School")
    do_assign_customer_group(customer=school, group=group, actor="admin1")
    other = make_customer("Other")
    everyone = _rule(cloud, name="everyone +10%")
    e3_for_all = _rule(cloud, name="E3 +8%", offer_id=E3, percent="8")
    education = _rule(cloud, name="education +5%", group=group, percent="5")
    school_e3 = _rule(
        cloud,
        name="school E3 at 150",
        customer=school,
        offer_id=E3,
        method="unit_price",
        unit_price="150",
        currency="CNY",
        percent=None,
        effective_from=dt.date(2026, 3, 1),
    )
    on = dt.date(2026, 2, 15)
    assert rule_for(other, offer_id="OTHER", durable_offer_id="", on=on) == everyone
    assert rule_for(other, offer_id=E3, durable_offer_id="", on=on) == e3_for_all
    assert rule_for(school, offer_id=E3, durable_offer_id="", on=on) == education  # group > offer
    assert rule_for(school, offer_id=E3, durable_offer_id="", on=dt.date(2026, 3, 1)) == school_e3
    assert rule_for(school, offer_id=E3, durable_offer_id="", on=dt.date(2025, 12, 31)) is None


def test_a_rule_that_could_tie_is_refused_and_saves_nothing(make_customer, cloud):
    customer = make_customer()
    first = _rule(
        cloud, name="Contoso E3", customer=customer, offer_id=E3, effective_to=dt.date(2026, 6, 30)
    )
    with pytest.raises(ValidationError) as refused:
        _rule(
            cloud,
            name="Contoso E3 again",
            customer=customer,
            offer_id=E3,
            effective_from=dt.date(2026, 6, 30),
        )
    assert f"Rule #{first.pk}" in str(refused.value.message_dict["effective_from"])
    assert PriceRule.objects.count() == 1
    # The day after the first one ends is free; another offer or another customer never ties.
    _rule(
        cloud,
        name="Contoso E3 from July",
        customer=customer,
        offer_id=E3,
        effective_from=dt.date(2026, 7, 1),
    )
    _rule(cloud, name="Contoso other", customer=customer, offer_id="OTHER")
    _rule(cloud, name="someone else", customer=make_customer(), offer_id=E3)
    assert PriceRule.objects.count() == 4


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"percent": "ten"}, "percent"),
        ({"percent": "-100.5"}, "percent"),
        ({"percent": "1e9"}, "percent"),
        ({"percent": "5.1234"}, "percent"),
        ({"percent": None}, "percent"),
        ({"method": "unit_price", "unit_price": "12", "currency": "XXX"}, "currency"),
        ({"method": "unit_price", "unit_price": "-1", "currency": "CNY"}, "unit_price"),
        ({"method": "free"}, "method"),
        ({"name": "  \x00 "}, "name"),
        ({"effective_from": "5570-01-01"}, "effective_from"),
        ({"effective_from": "2026-13-01"}, "effective_from"),
        ({"effective_to": dt.date(2025, 12, 31)}, "effective_to"),
        ({"offer_id": E3, "durable_offer_id": "CFQ7TTC0LFLZ:0001"}, "durable_offer_id"),
    ],
)
def test_bad_input_names_its_field_and_saves_nothing(cloud, fields, field):
    with pytest.raises(ValidationError) as refused:
        _rule(cloud, **fields)
    assert field in refused.value.message_dict
    assert PriceRule.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="price_rule.").exists()


def test_a_rule_for_a_customer_and_a_group_at_once_is_refused(make_customer, cloud):
    group = do_create_customer_group(name="Retail", actor="admin1")
    with pytest.raises(ValidationError) as refused:
        _rule(cloud, customer=make_customer(), group=group)
    assert "group" in refused.value.message_dict


def test_every_change_is_audited_with_what_changed(make_customer, cloud):
    rule = _rule(cloud, name="everyone +10%")
    created = AuditEvent.objects.get(action="price_rule.created")
    assert created.actor == "finance1" and created.after["percent"] == "10"
    do_change_price_rule(rule=rule, actor="finance2", percent="12.5")
    changed = AuditEvent.objects.get(action="price_rule.changed")
    assert (changed.before, changed.after) == ({"percent": "10"}, {"percent": "12.5"})
    do_end_price_rule(rule=rule, last_day=dt.date(2026, 12, 31), actor="finance2")
    rule.refresh_from_db()
    assert rule.effective_to == dt.date(2026, 12, 31)
    assert AuditEvent.objects.filter(action="price_rule.changed").count() == 2
    do_change_price_rule(rule=rule, actor="finance2", percent="12.5")  # no change, no event
    assert AuditEvent.objects.filter(action="price_rule.changed").count() == 2


def test_a_change_that_would_tie_is_refused_and_changes_nothing(cloud):
    spring = _rule(cloud, name="spring", effective_to=dt.date(2026, 5, 31))
    summer = _rule(cloud, name="summer", effective_from=dt.date(2026, 6, 1))
    with pytest.raises(ValidationError):
        do_change_price_rule(rule=spring, actor="finance1", effective_to=dt.date(2026, 6, 1))
    spring.refresh_from_db()
    assert spring.effective_to == dt.date(2026, 5, 31) and summer.effective_from.month == 6


@pytest.mark.django_db(transaction=True)
def test_two_people_saving_rules_that_would_tie_at_the_same_moment_get_one_rule(cloud):
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def save(name: str) -> None:
        start.wait()
        try:
            _rule(cloud, name=name)
            outcomes.append("saved")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(f"rule {n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "saved"]
    assert PriceRule.objects.count() == 1
