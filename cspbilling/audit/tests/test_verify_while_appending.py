import pytest
from django.db import transaction

from cspbilling.audit.selectors import verify_chain
from cspbilling.audit.services import record_event


def append(n: int) -> None:
    with transaction.atomic():
        record_event(actor="t", action="user.created", object_type="thing", object_id=n)


@pytest.mark.django_db(transaction=True)
def test_events_appended_during_verification_are_not_a_truncated_chain():
    for n in range(3):
        append(n)
    appended = []

    def append_once(_step: int) -> None:
        if not appended:
            append(99)
            appended.append(True)

    report = verify_chain(progress=append_once)

    assert appended and report.ok, report.problems
    assert report.checked == 3
    assert verify_chain().checked == 4
