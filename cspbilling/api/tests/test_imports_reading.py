"""The API's import status says how the file was read (issue 12: encoding, delimiter, dates,
decimal mark), for a Chinese Excel re-save: GB18030, slash dates, CRLF."""

from __future__ import annotations

import pytest

from cspbilling.api.tests.helpers import get, upload
from cspbilling.upstream.models import ImportBatch
from cspbilling.upstream.tasks import import_uploaded_file
from cspbilling.upstream.tests.fixtures import (
    VIANET_HEADER,
    license_row,
    use_upload_dir,
    write_csv,
)

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_the_status_names_encoding_delimiter_date_order_and_decimal_mark(
    tokens, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    use_upload_dir(settings, tmp_path / "uploads")
    rows = [license_row(i) for i in (1, 2)]
    for row in rows:
        row["ChargeStartDate"], row["ChargeEndDate"] = "2024/2/1 0:00", "2024/2/29 23:59"
    path = write_csv(tmp_path / "gb.csv", VIANET_HEADER, rows, bom=False, encoding="gb18030")
    with open(path, "rb") as handle:
        response = upload(
            "/upstream/imports", tokens["finance"], {"file": handle, "invoice_id": "D02005YFHI"}
        )
    assert response.status_code == 202, response.content
    import_uploaded_file.call(ImportBatch.objects.get().pk)
    status = get(f"/upstream/imports/{ImportBatch.objects.get().pk}", tokens["readonly"]).json()
    assert status["status"] == "imported", status
    assert status["summary"]["reading"] == {
        "encoding": "GB18030",
        "delimiter": "comma",
        "date_order": "year-month-day",
        "decimal_mark": "point (1,234.56)",
    }
