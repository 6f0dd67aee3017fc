import uuid
from datetime import UTC, datetime

import pytest

from cspbilling.audit.models import AuditEvent
from cspbilling.core.bulk import insert_rows
from cspbilling.customers.models import Customer
from cspbilling.subscriptions.models import Subscription


@pytest.mark.django_db
def test_inserted_rows_read_back_as_the_orm_would_write_them():
    tenant = uuid.uuid4()
    insert_rows(Customer, [{"tenant_id": tenant, "company_name": "北京云启科技有限公司"}])
    customer = Customer.objects.get(tenant_id=tenant)
    assert customer.company_name == "北京云启科技有限公司"
    assert customer.language == "zh-hans" and customer.payment_terms_days == 30  # defaults
    assert customer.created_at is not None and customer.updated_at is not None

    start = datetime(2026, 1, 1, 8, 30, tzinfo=UTC)
    insert_rows(
        Subscription,
        [
            {
                "subscription_id": f"sub-{n}",
                "customer_id": customer.pk,
                "quantity": n,
                "suspension_reasons": ["credit"] if n else [],
                "effective_start_date": start,
            }
            for n in range(3)
        ],
    )
    subs = list(Subscription.objects.filter(customer=customer).order_by("quantity"))
    assert [s.quantity for s in subs] == [0, 1, 2]
    assert subs[1].suspension_reasons == ["credit"] and subs[0].suspension_reasons == []
    assert subs[2].effective_start_date == start


@pytest.mark.django_db
def test_json_values_keep_their_types():
    insert_rows(
        AuditEvent,
        [
            {
                "actor": "t",
                "action": "a",
                "object_type": "o",
                "object_id": "1",
                "after": {"amount": "12.30", "n": 3, "ok": True, "none": None},
                "prev_hash": "0" * 64,
                "hash": "1" * 64,
            }
        ],
    )
    assert AuditEvent.objects.get().after == {"amount": "12.30", "n": 3, "ok": True, "none": None}


@pytest.mark.django_db
def test_many_rows_read_back_alike_whichever_way_they_went_in():
    """Past COPY_FROM_ROWS, PostgreSQL takes the rows through COPY: JSON, text with tabs and
    newlines, dates and the defaults read back as the few-rows path writes them."""
    from cspbilling.core.bulk import COPY_FROM_ROWS

    moment = datetime(2026, 11, 24, 8, 30, 15, 123456, tzinfo=UTC)
    rows = [
        {
            "actor": "t",
            "action": "a",
            "object_type": "o\tx",
            "object_id": f"{n}\n",
            "occurred_at": moment,
            "after": {"amount": "12.30", "name": "客户\t\\", "n": n, "none": None},
            "prev_hash": "0" * 64,
            "hash": f"{n:064d}",
        }
        for n in range(COPY_FROM_ROWS + 1)
    ]
    insert_rows(AuditEvent, rows)
    last = AuditEvent.objects.get(hash=f"{COPY_FROM_ROWS:064d}")
    assert (last.object_type, last.object_id, last.occurred_at) == (
        "o\tx",
        f"{COPY_FROM_ROWS}\n",
        moment,
    )
    assert last.after == {"amount": "12.30", "name": "客户\t\\", "n": COPY_FROM_ROWS, "none": None}
    assert last.context == {} and AuditEvent.objects.count() == COPY_FROM_ROWS + 1


@pytest.mark.django_db
def test_copied_rows_read_back_as_written_with_the_other_fields_defaulted():
    from django.db import connection

    from cspbilling.core.bulk import copy_rows

    tenants = [uuid.uuid4() for _ in range(3)]
    as_stored = Customer._meta.get_field("tenant_id").get_db_prep_value  # text on SQLite
    rows = (  # a generator, values as the columns store them
        (as_stored(tenant, connection), f"客户\t{n}\\") for n, tenant in enumerate(tenants)
    )
    assert copy_rows(Customer, ("tenant_id", "company_name"), rows, batch_size=2) == 3
    copied = list(Customer.objects.filter(tenant_id__in=tenants).order_by("company_name"))
    assert [c.company_name for c in copied] == ["客户\t0\\", "客户\t1\\", "客户\t2\\"]
    assert all(c.language == "zh-hans" and c.payment_terms_days == 30 for c in copied)
    assert all(c.created_at is not None for c in copied)


@pytest.mark.django_db
def test_reserved_ids_are_never_given_again_and_rows_keep_them():
    from cspbilling.core.bulk import reserve_ids

    first = Customer.objects.create(tenant_id=uuid.uuid4(), company_name="before")
    ids = reserve_ids(Customer, 3)
    assert len(set(ids)) == 3 and min(ids) > first.pk
    insert_rows(
        Customer,
        [{"id": pk, "tenant_id": uuid.uuid4(), "company_name": f"c{pk}"} for pk in ids],
    )
    assert {c.pk: c.company_name for c in Customer.objects.filter(pk__in=ids)} == {
        pk: f"c{pk}" for pk in ids
    }
    after = Customer.objects.create(tenant_id=uuid.uuid4(), company_name="after")
    assert after.pk > max(ids)
    assert reserve_ids(Customer, 0) == []


@pytest.mark.django_db
def test_mixed_rows_and_values_needing_conversion_are_written_as_the_field_would():
    """Rows that give different fields, and values of another Python type than the column's
    (an int-like str, a str-like enum, a Decimal), land as the ORM writes them."""
    from cspbilling.customers.models import Language

    rows = [
        {"tenant_id": uuid.uuid4(), "company_name": "a", "payment_terms_days": "45"},
        {"tenant_id": str(uuid.uuid4()), "company_name": "b", "language": Language.FR},
    ]
    insert_rows(Customer, rows)
    a, b = Customer.objects.filter(company_name__in=["a", "b"]).order_by("company_name")
    assert (a.payment_terms_days, a.language) == (45, "zh-hans")
    assert (b.payment_terms_days, b.language) == (30, "fr")
