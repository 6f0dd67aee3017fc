"""The console upload form: a file over the limit is a form error (nothing stored), a malformed
multipart body is a 400 page that names the problem, and a browser cut off mid-upload leaves no
temporary file on the server."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client
from django.urls import reverse

from cspbilling.upstream.models import ImportBatch
from cspbilling.upstream.tests.fixtures import use_upload_dir
from cspbilling.upstream.tests.raw_http import (
    file_part_head,
    files_in,
    open_upload,
    reset,
)

pytestmark = pytest.mark.django_db(transaction=True)
MB = 1024 * 1024


@pytest.fixture
def folders(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    use_upload_dir(settings, tmp_path / "uploads")
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "upload-temp")
    (tmp_path / "upload-temp").mkdir()
    settings.UPLOAD_MAX_MB = 1
    return {"uploads": tmp_path / "uploads", "temp": tmp_path / "upload-temp"}


@pytest.fixture
def browser_like(make_user) -> Client:
    """A signed-in finance user whose client checks CSRF, as a browser's requests are."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("finance"))
    return client


def _csrf_token(client: Client) -> str:
    page = client.get(reverse("upstream:upload")).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("size", [MB + 1, 6 * MB], ids=["just-over", "far-over"])
def test_a_file_over_the_limit_is_a_form_error_and_nothing_is_stored(
    browser_like, folders, tmp_path, size
):
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * size)
    token = _csrf_token(browser_like)
    with open(big, "rb") as handle:
        response = browser_like.post(
            reverse("upstream:upload"),
            {"csrfmiddlewaretoken": token, "invoice_id": "D0001", "file": handle},
        )
    assert response.status_code == 413
    page = response.content.decode()
    assert "The file is larger than the upload limit of 1 MB; it was not stored." in page
    assert "This field is required" not in page
    assert 'value="D0001"' in page  # the form comes back as it was filled
    assert ImportBatch.objects.count() == 0
    assert files_in(folders["uploads"]) == [] and files_in(folders["temp"]) == []


def test_a_file_at_the_limit_is_accepted(browser_like, folders, tmp_path):
    exact = tmp_path / "exact.csv"
    exact.write_bytes(b"x" * MB)
    with open(exact, "rb") as handle:
        response = browser_like.post(
            reverse("upstream:upload"),
            {"csrfmiddlewaretoken": _csrf_token(browser_like), "file": handle},
        )
    assert response.status_code == 302
    assert ImportBatch.objects.get().bytes_total == MB


def test_the_page_states_the_limit(browser_like, folders):
    page = browser_like.get(reverse("upstream:upload")).content.decode()
    assert "at most 1 MB" in page


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary="])
def test_a_form_without_a_multipart_boundary_is_a_400_page_naming_it(
    browser_like, folders, content_type
):
    response = browser_like.post(
        reverse("upstream:upload"), b"--x\r\nnot multipart", content_type=content_type
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "the uploaded form could not be read" in text and "boundary" in text
    assert ImportBatch.objects.count() == 0


def test_a_browser_cut_off_midway_leaves_no_temporary_file(
    live_server, make_user, folders, settings
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100_000  # more than this is spooled to a temporary file
    client = Client()
    client.force_login(make_user("finance"))
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    head = file_part_head()
    sock = open_upload(
        live_server.url,
        reverse("upstream:upload"),
        content_length=len(head) + 900_000,
        head=head,
        headers={"Cookie": cookie},
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
