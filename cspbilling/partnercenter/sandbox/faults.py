"""Fault injection: random rates (seeded) and an exact script ("the next N requests to P ...")."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

RATE_FIELDS = ("rate_429", "rate_5xx", "rate_drop", "malformed")


@dataclass
class Fault:
    """What to do to one request: wait, then answer a status/body, drop, or garble."""

    latency_ms: int = 0
    status: int | None = None
    retry_after: float | None = None
    drop: bool = False
    malformed: bool = False
    body: Any = None
    drop_after: bool = False  # do the work, then drop the connection (the answer is lost)


@dataclass
class ScriptEntry:
    path_prefix: str
    times: int = 1
    method: str | None = None
    status: int | None = None
    retry_after: float | None = None
    latency_ms: int = 0
    drop: bool = False
    malformed: bool = False
    body: Any = None
    drop_after: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScriptEntry:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown script field(s): {', '.join(sorted(unknown))}")
        if not data.get("path_prefix"):
            raise ValueError("script entry needs path_prefix")
        entry = cls(**data)
        entry.times = int(entry.times)
        return entry


@dataclass
class FaultConfig:
    latency_ms: int = 0
    rate_429: float = 0.0
    retry_after: float = 1.0
    rate_5xx: float = 0.0
    rate_drop: float = 0.0
    malformed: float = 0.0
    seed: int | None = None
    script: list[ScriptEntry] = field(default_factory=list)
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def update(self, data: dict[str, Any]) -> None:
        for key, value in data.items():
            if key == "script":
                self.script = [ScriptEntry.from_dict(e) for e in value or []]
            elif key == "append_script":
                self.script.extend(ScriptEntry.from_dict(e) for e in value or [])
            elif key == "seed":
                self.seed = None if value is None else int(value)
                self._rng = random.Random(self.seed)
            elif key in RATE_FIELDS or key == "retry_after":
                number = float(value)
                if key in RATE_FIELDS and not 0 <= number <= 1:
                    raise ValueError(f"{key} must be between 0 and 1, not {value}")
                setattr(self, key, number)
            elif key == "latency_ms":
                self.latency_ms = int(value)
            else:
                raise ValueError(f"unknown fault setting {key!r}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "latency_ms": self.latency_ms,
            "rate_429": self.rate_429,
            "retry_after": self.retry_after,
            "rate_5xx": self.rate_5xx,
            "rate_drop": self.rate_drop,
            "malformed": self.malformed,
            "seed": self.seed,
            "script": [dict(vars(e)) for e in self.script],
        }

    def decide(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any. Call under the state's lock."""
        for entry in self.script:
            if path.startswith(entry.path_prefix) and entry.method in (None, method):
                entry.times -= 1
                if entry.times <= 0:
                    self.script.remove(entry)
                return Fault(
                    entry.latency_ms,
                    entry.status,
                    entry.retry_after,
                    entry.drop,
                    entry.malformed,
                    entry.body,
                    entry.drop_after,
                )
        fault = Fault(latency_ms=self.latency_ms)
        roll = self._rng.random
        if self.rate_drop and roll() < self.rate_drop:
            fault.drop = True
        elif self.rate_429 and roll() < self.rate_429:
            fault.status, fault.retry_after = 429, self.retry_after
        elif self.rate_5xx and roll() < self.rate_5xx:
            fault.status = self._rng.choice((500, 502, 503))
        elif self.malformed and roll() < self.malformed:
            fault.malformed = True
        if fault == Fault():
            return None
        return fault
