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
