"""A statement uploaded through the console or the API, imported from a spool file."""

from __future__ import annotations

from pathlib import Path

from cspbilling.core.spool import spool_folder
from cspbilling.payments.models import BankAccount, StatementImport
from cspbilling.payments.services import do_import_statement


def import_uploaded(upload, account: BankAccount, actor: str) -> StatementImport:
    """Spool the upload to a file the readers can open, import it, and remove the spool."""
    with spool_folder("statement") as folder:
        path = Path(folder) / "statement"
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        return do_import_statement(path=path, filename=upload.name, account=account, actor=actor)
