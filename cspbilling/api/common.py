"""What every router shares: error responses, role checks, money as text."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from pydantic import AfterValidator, Field

from cspbilling.accounts.permissions import user_has_role
from cspbilling.api.problems import Problem
from cspbilling.core.money import MoneyError, parse_amount

NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL; refuse it as a 422, not a 500
ERRORS = {401: Problem, 403: Problem, 404: Problem, 422: Problem, 500: Problem}
# Writes take a body: 400 when it cannot be parsed at all, 409 when the object refuses it.
WRITE_ERRORS = {400: Problem, **ERRORS, 409: Problem}


def require_roles(request: HttpRequest, roles: Iterable[str]) -> None:
    """403 problem unless the token's user has one of these roles."""
    if not user_has_role(request.auth, roles):
        raise PermissionDenied


def is_portal(request: HttpRequest) -> bool:
    return bool(getattr(request.auth, "is_portal_user", False))


def actor(request: HttpRequest) -> str:
    """The audit actor of an API write: the token's user, named as the console names it."""
    return request.auth.username


def _amount(text: str) -> Decimal:
    try:
        return parse_amount(text)
    except MoneyError as exc:  # the pattern lets none through; kept as the one parser of money
        raise ValueError(str(exc)) from None


# Money in requests: a string such as "1234.50" or "1,234.50" (at most 15 digits before the
# point, 2 after), never a JSON number. The schema says so, so a client can check it first.
AMOUNT = r"^\s*(\d{1,3}(,\d{3}){0,4}|\d{1,15})(\.\d{1,2})?\s*$"
AmountIn = Annotated[
    str,
    Field(max_length=40, pattern=AMOUNT, examples=["1234.50"]),
    AfterValidator(_amount),
]


def money(value: Decimal | int | None, places: int = 2) -> str | None:
    """A Decimal as text, never a float: at least `places` decimals, more only if it has them."""
    if value is None:
        return None
    value = Decimal(value)
    text = format(value.normalize(), "f")
    decimals = len(text.partition(".")[2])
    return format(value.quantize(Decimal(1).scaleb(-max(places, decimals))), "f")
