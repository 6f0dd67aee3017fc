"""Lenient parsing shared by every Partner Center resource model.

Names match case-insensitively (``CompanyName``, ``companyname`` and ``company_name`` are one
field), enum values match case-insensitively and ignoring underscores (``AttentionNeeded`` is
``attention_needed``), older integer enum answers map by declared order, amounts are ``Decimal``
and every field the API sent is kept (``extra="allow"``; ``.raw`` is the dict as received).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, PrivateAttr, model_validator
from pydantic.alias_generators import to_camel

from cspbilling.core.money import MoneyError, normalise_currency


def _squash(name: str) -> str:
    return name.replace("_", "").replace("-", "").replace(" ", "").lower()


class PCEnum(StrEnum):
    """A Partner Center enum: values are lower_snake; parsing is forgiving."""

    @classmethod
    def _missing_(cls, value: object) -> PCEnum | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            members = list(cls)
            return members[value] if 0 <= value < len(members) else None
        if isinstance(value, str):
            key = _squash(value)
            if key.isdigit():
                return cls._missing_(int(key))
            for member in cls:
                if _squash(member.value) == key:
                    return member
        return None


class PCModel(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        alias_generator=to_camel,
        coerce_numbers_to_str=True,
    )
    _raw: dict[str, Any] | None = PrivateAttr(default=None)
    _lookup_cache: ClassVar[dict[type, dict[str, str]]] = {}

    @classmethod
    def _name_lookup(cls) -> dict[str, str]:
        lookup = PCModel._lookup_cache.get(cls)
        if lookup is None:
            lookup = {}
            for name, field in cls.model_fields.items():
                alias = field.alias or name
                lookup[_squash(name)] = alias
                lookup[_squash(alias)] = alias
            PCModel._lookup_cache[cls] = lookup
        return lookup

    @model_validator(mode="wrap")
    @classmethod
    def _lenient(cls, data: Any, handler: Any) -> Any:
        if not isinstance(data, dict):
            return handler(data)
        lookup = cls._name_lookup()
        renamed = {}
        for key, value in data.items():
            target = lookup.get(_squash(key)) if isinstance(key, str) else None
            renamed[target or key] = value
        obj = handler(renamed)
        obj._raw = data
        return obj

    @property
    def raw(self) -> dict[str, Any]:
        """The object exactly as the API sent it (every field, original names)."""
        if self._raw is None:
            return self.model_dump(by_alias=True, mode="json")
        return self._raw


# --- lenient scalar types -------------------------------------------------------------------

_UNSET_DATES = ("0001-01-01",)
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})")


def _to_datetime(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith(_UNSET_DATES):
            return None
        m = _US_DATE.match(text)
        if m:
            return datetime(int(m[3]), int(m[1]), int(m[2]), tzinfo=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def _to_date(value: Any) -> Any:
    value = _to_datetime(value)
    if isinstance(value, datetime):
        return value.date()
    return value


def _to_decimal(value: Any) -> Any:
    if isinstance(value, float):
        # json parsed without parse_float=Decimal: go through repr to avoid binary noise.
        return Decimal(repr(value))
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        return Decimal(text) if text else None
    return value


def _to_currency(value: Any) -> Any:
    if isinstance(value, str) and value.strip():
        try:
            return normalise_currency(value)
        except MoneyError:
            return value
    return value


PCDateTime = Annotated[datetime | None, BeforeValidator(_to_datetime)]
PCDate = Annotated[date | None, BeforeValidator(_to_date)]
RequiredDate = Annotated[date, BeforeValidator(_to_date)]
Amount = Annotated[Decimal, BeforeValidator(_to_decimal)]
OptionalAmount = Annotated[Decimal | None, BeforeValidator(_to_decimal)]
Currency = Annotated[str, BeforeValidator(_to_currency)]
