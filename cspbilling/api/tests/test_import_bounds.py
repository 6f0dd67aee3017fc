"""The import endpoint over real HTTP: a file over the limit is refused before its body is read,
malformed multipart is a 400 problem, and a client cut off mid-upload leaves no temporary file."""

from __future__ import annotations

import time

import httpx
import pytest

from cspbilling.api.tests.helpers import BASE, assert_problem, post
from cspbilling.upstream.models import ImportBatch
from cspbilling.upstream.tests.fixtures import use_upload_dir
from cspbilling.upstream.tests.raw_http import (
    BOUNDARY,
    field_part,
    file_part_head,
    files_in,
    open_upload,
    problem,
    read_response,
    reset,
)

pytestmark = [pytest.mark.django_db(transaction=True)]
MB = 1024 * 1024
IMPORTS = f"{BASE}/upstream/imports"


@pytest.fixture
def folders(settings, tmp_path):
    """The uploads storage and Django's temporary upload folder, both empty."""
    settings.VAR_DIR = tmp_path
    use_upload_dir(settings, tmp_path / "uploads")
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "upload-temp")
    (tmp_path / "upload-temp").mkdir()
    settings.UPLOAD_MAX_MB = 1
    return {"uploads": tmp_path / "uploads", "temp": tmp_path / "upload-temp"}


def _auth(tokens) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['finance']}"}


def test_a_file_announced_over_the_limit_is_refused_before_its_body_is_sent(
    live_server, tokens, folders
):
    head = field_part("invoice_id", "D0001") + file_part_head()
    sock = open_upload(
        live_server.url, IMPORTS, content_length=2048 * MB, head=head, headers=_auth(tokens)
    )
    sock.sendall(b"x" * 64 * 1024)  # the first 64 KB of a "2 GB" file, and no more
    status, headers, body = read_response(sock)
    sock.close()
    assert status == 413 and headers["content-type"] == "application/problem+json"
    detail = problem(body)["detail"]
    assert "larger than the upload limit of 1 MB" in detail and "not stored" in detail
    assert ImportBatch.objects.count() == 0
    assert files_in(folders["uploads"]) == [] and files_in(folders["temp"]) == []


def test_a_file_that_grows_past_the_limit_is_refused_and_one_under_it_accepted(
    live_server, tokens, folders
):
    over = httpx.post(
        live_server.url + IMPORTS,
        headers=_auth(tokens),
        files={"file": ("big.csv", b"a,b\n" * (MB // 4 + 1), "text/csv")},  # 1 MB + 4 bytes
        timeout=30,
    )
    assert over.status_code == 413, over.text
    assert over.headers["content-type"] == "application/problem+json"
    assert "upload limit of 1 MB" in over.json()["detail"]
    assert ImportBatch.objects.count() == 0 and files_in(folders["uploads"]) == []
    under = httpx.post(
        live_server.url + IMPORTS,
        headers=_auth(tokens),
        files={"file": ("ok.csv", b"a,b\n" * (MB // 4), "text/csv")},  # exactly 1 MB
        timeout=30,
    )
    assert under.status_code == 202, under.text
    assert len(files_in(folders["uploads"])) == 1 and files_in(folders["temp"]) == []


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
    ],
)
def test_multipart_without_a_valid_boundary_is_a_400_problem(
    live_server, tokens, folders, content_type
):
    response = httpx.post(
        live_server.url + IMPORTS,
        headers={**_auth(tokens), "Content-Type": content_type},
        content=b"--x\r\nnot really multipart",
        timeout=30,
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "multipart body could not be read" in response.json()["detail"]
    assert "boundary" in response.json()["detail"]
    assert ImportBatch.objects.count() == 0


def test_a_body_that_is_not_multipart_at_all_is_a_client_error(live_server, tokens, folders):
    response = httpx.post(
        live_server.url + IMPORTS,
        headers={**_auth(tokens), "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        content=b"\x00\xff garbage with no parts",
        timeout=30,
    )
    assert response.status_code == 422 and "file" in response.json()["detail"]


def test_an_upload_cut_off_midway_leaves_no_temporary_file(live_server, tokens, folders, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100_000  # more than this is spooled to a temporary file
    head = file_part_head()
    sock = open_upload(
        live_server.url,
        IMPORTS,
        content_length=len(head) + 900_000,
        head=head,
        headers=_auth(tokens),
    )
    sock.sendall(b"x" * 600_000)
    deadline = time.monotonic() + 10
    while not files_in(folders["temp"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert files_in(folders["temp"]), "the upload is being spooled to a temporary file"
    reset(sock)
    deadline = time.monotonic() + 10
    while files_in(folders["temp"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert files_in(folders["temp"]) == []
    assert ImportBatch.objects.count() == 0 and files_in(folders["uploads"]) == []


def test_a_json_body_over_the_data_limit_is_a_413_problem(tokens, imported_invoice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = {"amount": "1.00", "paid_on": "2024-03-02", "reference": "r" * 20_000}
    response = post("/upstream/invoices/D02005YFHI/payments", tokens["finance"], body)
    assert "too large" in assert_problem(response, 413)["detail"]
