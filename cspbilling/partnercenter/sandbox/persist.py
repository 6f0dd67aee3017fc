"""The sandbox's state file (``cspbilling sandbox --state FILE``): the whole world as JSON.

Customers, subscriptions (with ETags and statuses), invoices and their lines, queued credits,
service requests and the seeded random generator, so a demo or a training day resumes where it
stopped. Continuation tokens, faults and the request log are not kept. Written atomically (a
temporary file in the same folder, then a rename), so a crash leaves the old file or the new one.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from cspbilling.partnercenter.sandbox.seed import World

FORMAT = "cspbilling-partner-center-sandbox"
VERSION = 1
_SCALARS = (
    "customers",
    "subscriptions",
    "line_ctx",
    "invoices",
    "service_requests",
    "sr_customer",
    "domain_counters",
    "etag_counter",
)


class StateFileError(ValueError):
    """The state file cannot be read back; the message is one line naming the file."""


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, set):
        return {"$set": sorted(value)}
    raise TypeError(f"{type(value).__name__} cannot go in the state file")


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        key, value = next(iter(obj.items()))
        if key == "$dec":
            return Decimal(value)
        if key == "$date":
            return date.fromisoformat(value)
        if key == "$set":
            return set(value)
    return obj


def _line_out(line: tuple) -> list:
    # A license line shares its context dict with line_ctx: keep the subscription id instead.
    return [line[0]["syndicationPartnerSubscriptionNumber"], *line[1:]]


def _line_in(world: World, line: list) -> tuple:
    return (world.line_ctx[line[0]], *line[1:])


def dump_world(world: World, meta: dict[str, Any]) -> dict[str, Any]:
    version, internal, gauss = world.rng.getstate()
    return {
        "format": FORMAT,
        "version": VERSION,
        **meta,
        "seed": world.seed,
        "anchor": world.anchor,
        "rng": [version, list(internal), gauss],
        **{name: getattr(world, name) for name in _SCALARS},
        "used_domains": world.used_domains,
        "usage_customers": world.usage_customers,
        "invoice_lines": {
            inv: {"office": [_line_out(x) for x in lines["office"]], "azure": lines["azure"]}
            for inv, lines in world.invoice_lines.items()
        },
        "pending_lines": [_line_out(x) for x in world.pending_lines],
    }


def load_world(data: dict[str, Any]) -> World:
    rng = random.Random()
    version, internal, gauss = data["rng"]
    rng.setstate((version, tuple(internal), gauss))
    world = World(seed=int(data["seed"]), anchor=data["anchor"], rng=rng)
    for name in _SCALARS:
        setattr(world, name, data[name])
    world.used_domains = set(data["used_domains"])
    world.usage_customers = set(data["usage_customers"])
    world.invoice_lines = {
        inv: {"office": [_line_in(world, x) for x in lines["office"]], "azure": lines["azure"]}
        for inv, lines in data["invoice_lines"].items()
    }
    world.pending_lines = [_line_in(world, x) for x in data["pending_lines"]]
    return world


def write(path: Path, world: World, meta: dict[str, Any]) -> None:
    text = json.dumps(dump_world(world, meta), default=_default, ensure_ascii=False)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        reason = " ".join(str(exc).split())
        raise StateFileError(f"cannot write sandbox state file {path}: {reason}") from None


def load(path: Path) -> tuple[World, dict[str, Any]]:
    """(the world, the whole document) or StateFileError naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"), object_hook=_hook)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = " ".join(str(exc).split())
        raise StateFileError(f"cannot read sandbox state file {path}: {reason}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StateFileError(f"{path} is not a sandbox state file")
    if data.get("version") != VERSION:
        raise StateFileError(
            f"{path} is a sandbox state file of version {data.get('version')!r}, "
            f"this sandbox reads version {VERSION}"
        )
    try:
        return load_world(data), data
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise StateFileError(f"sandbox state file {path} is damaged ({reason})") from None
