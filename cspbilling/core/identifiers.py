"""Identifiers that come from outside and end up in URLs, file names and indexed columns.

21Vianet invoice numbers look like `D02005YFHI` or `G012345678`. Anything else (a `/`, a space,
a control character, 65 characters) is refused where it enters, with the reason, so every page
that carries one in its address works for every value that was accepted.
"""

from __future__ import annotations

import re

INVOICE_NUMBER_MAX = 64
INVOICE_NUMBER_PATTERN = rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{INVOICE_NUMBER_MAX - 1}}}"
INVOICE_NUMBER_RULE = (
    f"letters, digits, '.', '_' or '-', starting with a letter or digit, "
    f"at most {INVOICE_NUMBER_MAX} characters"
)
_INVOICE_NUMBER = re.compile(INVOICE_NUMBER_PATTERN)


def invoice_number_problem(value: str) -> str | None:
    """Why this is not an invoice number we accept, or None."""
    if _INVOICE_NUMBER.fullmatch(value or ""):
        return None
    return f"{value!r} is not an invoice number ({INVOICE_NUMBER_RULE})"
