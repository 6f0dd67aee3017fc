"""A finance person imports a reconciliation file in the browser and reads what 21Vianet bills."""

from __future__ import annotations

import pytest

from cspbilling.upstream.tests.fixtures import LICENSE_HEADER, license_row, write_csv
from cspbilling.web.tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def upstream_worker(start_worker):
    return start_worker()


# `browser` comes last: once Playwright's loop runs, the ORM refuses to be called in this thread.
def test_finance_uploads_a_file_and_follows_it_to_payables(
    live_server, staff_users, license_file, upstream_worker, artifacts_dir, tmp_path, browser
):
    # A second invoice whose lines (3 x 49,398.09) do not make the total printed on it.
    big = [license_row(i, invoice="D02005BIG1", qty=40, price="1234.50") for i in (1, 2, 3)]
    mismatch_file = write_csv(tmp_path / "big.csv", LICENSE_HEADER, big)
    page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-US")
    sign_in(page, live_server, "staff-finance")
    page.wait_for_url(f"{live_server.url}/console/")

    page.goto(f"{live_server.url}/console/upstream/import/")
    page.screenshot(path=str(artifacts_dir / "console-upstream-upload.png"), full_page=True)
    page.set_input_files("input[name=file]", str(license_file))
    page.fill("input[name=invoice_date]", "2026-11-01")
    page.click("button:has-text('Import')")

    # The worker imports it in the background; the status card follows without a reload.
    page.wait_for_selector("#batch-status:has-text('Imported')", timeout=30_000)
    status = page.locator("#batch-status").inner_text()
    assert "3 lines" in status and "CNY" in status
    page.screenshot(path=str(artifacts_dir / "console-upstream-import.png"), full_page=True)

    page.click("#batch-status h3 a")
    page.wait_for_url("**/console/upstream/invoices/**")
    assert "广州汇达网络有限公司, 分公司" in page.content()
    page.screenshot(path=str(artifacts_dir / "console-upstream-invoice.png"), full_page=True)

    page.goto(f"{live_server.url}/console/upstream/payables/")
    assert "Dec. 1, 2026" in page.content() or "2026-12-01" in page.content()
    page.screenshot(path=str(artifacts_dir / "console-upstream-payables.png"), full_page=True)

    page.goto(f"{live_server.url}/console/upstream/discrepancies/")
    page.screenshot(path=str(artifacts_dir / "console-upstream-discrepancies.png"), full_page=True)

    # A file whose lines do not add up to the invoice total: flagged on the status and the page.
    page.goto(f"{live_server.url}/console/upstream/import/")
    page.set_input_files("input[name=file]", str(mismatch_file))
    page.fill("input[name=invoice_total]", "150000.00")
    page.fill("input[name=invoice_date]", "2026-10-01")
    page.click("button:has-text('Import')")
    page.wait_for_selector("#batch-status:has-text('Imported')", timeout=30_000)
    assert "Sum check failed" in page.locator("#batch-status").inner_text()
    page.click("#batch-status h3 a")
    page.wait_for_url("**/console/upstream/invoices/D02005BIG1/")
    assert "Sum check failed" in page.locator("#sum-check-alert").inner_text()
    page.screenshot(path=str(artifacts_dir / "console-upstream-mismatch.png"), full_page=True)

    page.goto(f"{live_server.url}/console/upstream/")
    assert page.locator("#invoice-table .badge-danger").count() == 1
    page.screenshot(path=str(artifacts_dir / "console-upstream-invoices.png"), full_page=True)


def test_a_file_over_the_upload_limit_is_a_form_error_in_the_browser(
    live_server, staff_users, settings, artifacts_dir, tmp_path, browser
):
    settings.UPLOAD_MAX_MB = 1
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "uploads")},
        },
    }
    big = tmp_path / "too-big.csv"
    big.write_bytes(b"x" * (2 * 1024 * 1024))
    page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-US")
    sign_in(page, live_server, "staff-finance")
    page.wait_for_url(f"{live_server.url}/console/")
    page.goto(f"{live_server.url}/console/upstream/import/")
    assert "at most 1 MB" in page.content()
    page.set_input_files("input[name=file]", str(big))
    page.click("button:has-text('Import')")
    page.wait_for_selector("text=larger than the upload limit of 1 MB")
    page.screenshot(path=str(artifacts_dir / "console-upstream-upload-too-big.png"), full_page=True)
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir())
