"""Service requests: read, filter, add notes, and the 21Vianet side answering (global cloud;
the 21Vianet cloud has no service-request API)."""

from __future__ import annotations

import httpx
import pytest

from cspbilling.partnercenter.errors import PartnerCenterError
from cspbilling.partnercenter.resources import ServiceRequestStatus


def test_list_filter_and_per_customer(pc_sandbox_global, pc_client):
    pc_sandbox = pc_sandbox_global
    everything = list(pc_client.iter_service_requests())
    assert len(everything) == len(pc_sandbox.state.world.service_requests)
    open_ones = list(pc_client.iter_service_requests(status="open"))
    assert open_ones and all(sr.status is ServiceRequestStatus.OPEN for sr in open_ones)
    assert len(open_ones) < len(everything)

    sr_id = everything[0].id
    cid = pc_sandbox.state.world.sr_customer[sr_id]
    mine = list(pc_client.iter_customer_service_requests(cid))
    assert sr_id in {sr.id for sr in mine}


def test_notes_persist_and_21vianet_answers(pc_sandbox_global, pc_client):
    pc_sandbox = pc_sandbox_global
    sr = next(iter(pc_client.iter_service_requests(status="open")))

    updated = pc_client.add_service_request_note(sr.id, "请核对2月发票第12行")
    assert updated.notes[-1].text == "请核对2月发票第12行"

    answer = httpx.post(
        f"{pc_sandbox.base_url}/_sandbox/servicerequests/{sr.id}/notes",
        json={"text": "已核实，将在下期发票中退款。"},
    )
    assert answer.status_code == 200
    reread = pc_client.get_service_request(sr.id)
    assert [n.text for n in reread.notes][-2:] == [
        "请核对2月发票第12行",
        "已核实，将在下期发票中退款。",
    ]
    assert reread.status is ServiceRequestStatus.ATTENTION_NEEDED
    assert reread.last_closed_date is None  # 0001-01-01 means "not closed"

    httpx.post(f"{pc_sandbox.base_url}/_sandbox/servicerequests/{sr.id}/close")
    closed = pc_client.get_service_request(sr.id)
    assert closed.status is ServiceRequestStatus.CLOSED and closed.last_closed_date


def test_create_answers_like_the_decommissioned_api(pc_sandbox_global, pc_client):
    with pytest.raises(PartnerCenterError, match="decommissioned"):
        pc_client.transport.request(
            "POST", "/v1/servicerequests/zh-CN", body={"Title": "x"}, idempotent=False
        )


def test_support_topics(pc_sandbox_global, pc_client):
    topics = list(pc_client.iter_support_topics())
    assert {"Billing", "Subscriptions"} <= {t.name for t in topics}
