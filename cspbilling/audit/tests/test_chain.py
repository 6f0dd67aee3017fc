"""The audit chain: appended in the transaction of the change, and tampering is found."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from cspbilling.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from cspbilling.audit.services import record_event

pytestmark = pytest.mark.django_db


def record_three() -> list[AuditEvent]:
    with transaction.atomic():
        return [
            record_event(
                actor="alice",
                action="upstream.invoice.imported",
                object_type="invoice",
                object_id=n,
                before=None,
                after={"status": "issued", "total": "120.50"},
            )
            for n in (1, 2, 3)
        ]


def run_verify() -> tuple[str, CommandError | None]:
    out = io.StringIO()
    try:
        call_command("audit", "verify", stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_events_appended_in_a_transaction_form_a_chain():
    first, second, third = record_three()
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    head = AuditChainHead.objects.get()
    assert (head.last_event_id, head.last_hash) == (third.pk, third.hash)


def test_a_rolled_back_change_leaves_no_event():
    record_three()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        record_event(
            actor="bob", action="upstream.payment.recorded", object_type="payment", object_id=9
        )
        1 / 0  # noqa: B018
    assert AuditEvent.objects.count() == 3
    output, error = run_verify()
    assert error is None and output.strip() == "3 events, chain intact"


def test_verify_passes_on_an_intact_chain():
    record_three()
    output, error = run_verify()
    assert error is None
    assert output.strip() == "3 events, chain intact"


def test_verify_names_an_event_whose_content_was_edited_in_sql():
    _, second, _ = record_three()
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET after = %s{cast} WHERE id = %s",  # noqa: S608
            ['{"status": "issued", "total": "1.00"}', second.pk],
        )
    output, error = run_verify()
    assert error is not None
    assert output.splitlines() == [
        f"event #{second.pk}: its content was edited after it was written"
    ]


def test_verify_finds_a_deleted_middle_event():
    first, second, third = record_three()
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s",  # noqa: S608
            [second.pk],
        )
    output, error = run_verify()
    assert error is not None and "2 events, 1 problem(s)" in str(error)
    assert output.splitlines() == [
        f"event #{third.pk}: the event before it was deleted or altered (after #{first.pk})"
    ]


def test_verify_finds_a_deleted_last_event():
    _, _, third = record_three()
    AuditEvent.objects.filter(pk=third.pk).delete()
    output, error = run_verify()
    assert error is not None
    assert output.splitlines() == [
        f"the last event (#{third.pk}) is missing: the chain was truncated"
    ]


def test_audit_list_shows_the_events_of_one_object():
    record_three()
    out = io.StringIO()
    call_command("audit", "list", "--object", "invoice:2", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert (
        "upstream.invoice.imported" in lines[0] and "invoice:2" in lines[0] and "alice" in lines[0]
    )


@pytest.mark.django_db(transaction=True)
def test_record_event_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record_event(actor="bob", action="user.created", object_type="y", object_id=1)
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_an_action_not_in_the_vocabulary_is_refused_and_nothing_is_written():
    unknown = pytest.raises(ValueError, match="unknown audit action 'invoice.isued'")
    with unknown, transaction.atomic():
        record_event(actor="bob", action="invoice.isued", object_type="i", object_id=1)
    assert AuditEvent.objects.count() == 0


def test_bulk_events_store_what_json_gives_back_and_verify():
    # Plain values are taken as they are; anything else (Decimal, date, tuple, int keys, a
    # choices member) is stored exactly as JSON gives it back, and the chain verifies.
    import datetime as dt
    from decimal import Decimal

    from django.db import models

    from cspbilling.audit.services import record_events

    class ActionStatus(models.TextChoices):
        DONE = "done"

    odd = {
        "amount": Decimal("1.10"),
        "day": dt.date(2026, 10, 8),
        "ids": (1, 2),
        "by_id": {3: "x"},
        "status": ActionStatus.DONE,
    }
    plain = {"amount": "1.10", "ids": [1, 2], "nested": {"ok": True, "n": None}, "名": "客户 é"}
    with transaction.atomic():
        record_events(
            actor="bulk",
            events=[
                {
                    "action": "upstream.invoice.imported",
                    "object_type": "invoice",
                    "object_id": n,
                    "after": after,
                }
                for n, after in enumerate([odd, plain])
            ],
        )
    first, second = AuditEvent.objects.filter(actor="bulk").order_by("id")
    assert first.after == {
        "amount": "1.10",
        "day": "2026-10-08",
        "ids": [1, 2],
        "by_id": {"3": "x"},
        "status": "done",
    }
    assert second.after == plain
    assert AuditEvent.objects.filter(actor="bulk", before__isnull=True).count() == 2  # SQL NULL
    out, error = run_verify()
    assert error is None, out


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(
    before=_json,
    after=_json,
    context=st.dictionaries(st.text(), _json, max_size=3),
    actor=st.text() | st.just('财务 "one"'),
    object_id=st.text() | st.just("42\n") | st.integers(min_value=0).map(str),
)
def test_the_bulk_hash_of_texts_is_the_hash_of_the_values(before, after, context, actor, object_id):
    # Bulk jobs hash the texts they store; verification hashes the values read back.
    import datetime as dt

    from cspbilling.audit.hashing import event_hash, event_hash_of_texts, plain_json

    fields = {
        "prev_hash": "0" * 64,
        "occurred_at": dt.datetime(2026, 11, 25, 3, 4, 5, 6, tzinfo=dt.UTC),
        "actor": actor,
        "action": "collections.action",
        "object_type": "customer",
        "object_id": object_id,
    }
    assert event_hash_of_texts(
        **fields, before=plain_json(before), after=plain_json(after), context=plain_json(context)
    ) == event_hash(**fields, before=before, after=after, context=context)


_plain = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=16,
)


@given(value=_plain)
def test_the_fast_text_of_json_ready_values_is_the_canonical_text(value):
    # Bulk jobs' json_ready values (no floats) are encoded by orjson: byte for byte the text
    # the verifier's canonical encoder gives, or the hash chain would not verify.
    from cspbilling.audit.hashing import canonical_json, json_ready_text

    assert json_ready_text(value) == canonical_json(value)


def test_what_orjson_refuses_is_encoded_by_the_standard_encoder():
    from cspbilling.audit.hashing import canonical_json, json_ready_text

    for value in ({"big": 2**70}, {"lone": "\ud800"}, ["\u2028", "\x7f", "😀"]):
        assert json_ready_text(value) == canonical_json(value)
