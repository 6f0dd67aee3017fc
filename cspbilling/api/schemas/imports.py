"""Uploads of 21Vianet reconciliation files and their background imports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field


class ImportAccepted(Schema):
    batch_id: int
    status: str
    status_url: str = Field(description="GET it until the status is no longer pending/running.")


class ImportProgress(Schema):
    bytes_done: int
    bytes_total: int
    percent: int


class ImportProblem(Schema):
    row: int | None = Field(description="Row in the file (header = row 1); None: the whole file.")
    column: str
    reason: str


class ImportBatchOut(Schema):
    id: int
    status: str = Field(description="pending, running, imported, unchanged, rejected or failed.")
    source: str
    file_name: str
    kind: str
    created_by: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    progress: ImportProgress
    lines: int
    summary: dict[str, Any] = Field(description="Per invoice: outcome, lines, totals as text.")
    errors: list[ImportProblem] = Field(description="Why the file was rejected (nothing changed).")
    error_count: int
    file_deleted_after_days: int | None = Field(
        None,
        description="Set once the uploaded file was deleted after this many days (the retention "
        "period); the import's record, summary and errors are kept.",
    )
