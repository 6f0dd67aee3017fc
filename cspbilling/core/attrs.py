"""Reading fields off upstream resources (pydantic models or dicts) without crashing."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from typing import Any


def dig(obj: Any, *path: str, default: Any = "") -> Any:
    for name in path:
        if obj is None:
            return default
        obj = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return default if obj is None else obj


def clip(value: Any, limit: int) -> str:
    """One line of at most `limit` characters: control characters (CR, LF, tab, NUL, …) from
    outside become spaces, so a name can never break a mail header, a CSV row or a log line."""
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in str(value or ""))
    return text.strip()[:limit]


def enum_text(value: Any) -> str:
    value = getattr(value, "value", value)
    return str(value or "").lower()


def aware_datetime(value: Any) -> datetime | None:
    """An aware datetime, or None for unset and 'never' (Partner Center's 9999-… and 0001-…)."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.year >= 9999 or value.year <= 1:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
