"""Gap-free numbers per series and year: INV-2026-000042, CN-2026-000007."""

from __future__ import annotations

from cspbilling.core.services import require_transaction
from cspbilling.invoicing.locks import lock_number_series


def next_number(series: str, year: int) -> str:
    """The next number of the series, taken under the series' row lock: whoever holds it gives
    the next number, and a transaction that fails gives its number back with it."""
    require_transaction("next_number")
    counter = lock_number_series(series, year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{series}-{year}-{counter.last_number:06d}"
