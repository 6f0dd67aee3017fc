"""cspbilling sandbox --state FILE: the whole state survives a restart (issue 12, item 13)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from cspbilling.partnercenter.sandbox import start_sandbox
from cspbilling.partnercenter.sandbox.persist import StateFileError


def _api(handle) -> httpx.Client:
    return httpx.Client(
        base_url=handle.base_url, headers={"Authorization": f"Bearer {handle.token}"}
    )


def test_a_suspension_survives_a_restart(tmp_path):
    state_file = tmp_path / "sandbox-state.json"
    with start_sandbox(port=0, customers=8, seed=5, state_file=state_file) as first:
        assert state_file.exists()  # written at start
        cid, sid = next(
            (cid, sid)
            for cid, subs in first.state.world.subscriptions.items()
            for sid, sub in subs.items()
            if sub["status"] == "active"
        )
        path = f"/v1/customers/{cid}/subscriptions/{sid}"
        with _api(first) as api:
            read = api.get(path).json()
            suspended = api.patch(
                path,
                json=dict(read, status="suspended"),
                headers={"If-Match": read["attributes"]["etag"]},
            ).json()
            note = httpx.post(f"{first.base_url}/_sandbox/invoices", json={"kind": "invoice"})
            assert note.status_code == 201
            invoices = [i["id"] for i in api.get("/v1/invoices").json()["items"]]
            lines = api.get(f"/v1/invoices/{invoices[0]}/lineitems/office/billinglineitems")
    assert suspended["status"] == "suspended"
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed into place

    # Other seeding options are ignored: the file wins.
    with start_sandbox(port=0, customers=3, seed=99, state_file=state_file) as second:
        assert second.state.loaded_from == state_file
        with _api(second) as api:
            again = api.get(path).json()
            assert [i["id"] for i in api.get("/v1/invoices").json()["items"]] == invoices
            relines = api.get(f"/v1/invoices/{invoices[0]}/lineitems/office/billinglineitems")
            assert len(api.get("/v1/customers").json()["items"]) == 8
    assert again["status"] == "suspended"
    assert again["attributes"]["etag"] == suspended["attributes"]["etag"]
    assert again["suspensionReasons"] == suspended["suspensionReasons"]
    assert relines.json()["items"] == lines.json()["items"]


def test_new_etags_after_a_restart_do_not_repeat(tmp_path):
    state_file = tmp_path / "s.json"
    with start_sandbox(port=0, customers=3, seed=2, state_file=state_file) as first:
        cid, subs = next(iter(first.state.world.subscriptions.items()))
        sid = next(iter(subs))
        httpx.patch(
            f"{first.base_url}/_sandbox/customers/{cid}/subscriptions/{sid}",
            json={"friendlyName": "renamed"},
        )
        seen = {
            s["attributes"]["etag"]
            for g in first.state.world.subscriptions.values()
            for s in g.values()
        }
    with start_sandbox(port=0, state_file=state_file) as second:
        sub = second.state.world.subscriptions[cid][sid]
        assert sub["friendlyName"] == "renamed"
        second.state.change_subscription(sub, {"quantity": 3})
        assert sub["attributes"]["etag"] not in seen


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b'{"format": "something else"}',
        b"\xff\xfe",
        b'{"format": "cspbilling-partner-center-sandbox", "version": 1}',
    ],
)
def test_a_corrupt_state_file_is_refused_naming_it(tmp_path, content):
    state_file = tmp_path / "broken.json"
    state_file.write_bytes(content)
    with pytest.raises(StateFileError) as caught:
        start_sandbox(port=0, state_file=state_file)
    message = str(caught.value)
    assert str(state_file) in message and "\n" not in message
    assert state_file.read_bytes() == content  # left as it was


def test_the_command_refuses_a_corrupt_state_file_in_one_line(tmp_path):
    state_file = tmp_path / "broken.json"
    state_file.write_text("[1, 2")
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cspbilling.cli",
            "sandbox",
            "--port",
            "0",
            "--state",
            str(state_file),
        ],
        cwd=root,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and str(state_file) in errors[0], done.stderr


def test_the_state_file_is_json_a_person_can_read(tmp_path):
    state_file = tmp_path / "s.json"
    start_sandbox(port=0, customers=2, seed=1, state_file=state_file).stop()
    data = json.loads(state_file.read_text(encoding="utf-8"))
    assert data["format"] == "cspbilling-partner-center-sandbox"
    assert len(data["customers"]) == 2


def _serve(root: Path, *args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cspbilling.cli", "sandbox", "--port", "0", *args],
        cwd=root,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = proc.stdout.readline().strip()
    assert first.startswith("Partner Center sandbox at "), first + proc.stderr.read()
    return proc, first.rsplit(" ", 1)[1]


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()  # SIGTERM: stops like Ctrl-C, with a last write of the state file
    proc.wait(timeout=10)
    assert proc.returncode in (0, 130), proc.stderr.read()


def test_the_command_keeps_state_across_restarts(tmp_path):
    root = Path(__file__).resolve().parents[3]
    state_file = tmp_path / "training-day.json"
    auth = {"Authorization": "Bearer sandbox-token"}
    proc, base = _serve(root, "--customers", "4", "--state", str(state_file), "--cloud", "global")
    try:
        info = httpx.get(f"{base}/_sandbox").json()
        assert info["cloud"] == "global" and info["stateFile"] == str(state_file)
        assert httpx.get(f"{base}/v1/servicerequests", headers=auth).status_code == 200
        cid = httpx.get(f"{base}/v1/customers", headers=auth).json()["items"][0]["id"]
        subs = httpx.get(f"{base}/v1/customers/{cid}/subscriptions", headers=auth).json()
        sub = next(s for s in subs["items"] if s["status"] == "active")
        path = f"{base}/v1/customers/{cid}/subscriptions/{sub['id']}"
        suspended = httpx.patch(path, json=dict(sub, status="suspended"), headers=auth).json()
    finally:
        _stop(proc)

    proc, base = _serve(root, "--state", str(state_file), "--cloud", "china")
    try:
        path = f"{base}/v1/customers/{cid}/subscriptions/{sub['id']}"
        again = httpx.get(path, headers=auth).json()
        assert httpx.get(f"{base}/v1/servicerequests", headers=auth).status_code == 404
    finally:
        _stop(proc)
    assert again["status"] == "suspended"
    assert again["attributes"]["etag"] == suspended["attributes"]["etag"]
