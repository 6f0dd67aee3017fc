"""The problems found in a file: the first few in row order, and how many in all."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

MAX_PROBLEMS = 20


class Problems:
    """The first MAX_PROBLEMS problems in row order, and how many there were in all."""

    def __init__(self) -> None:
        self.items: list[dict] = []
        self.count = 0

    def __bool__(self) -> bool:
        return self.count > 0

    def add(self, row: int | None, column: str, reason: str) -> None:
        self.count += 1
        self.items.append({"row": row, "column": column, "reason": reason})
        self._trim()

    def add_mask(self, mask: pa.Array, *, first_row: int, column: str, reason, values=None):
        count = pc.sum(pc.cast(mask, pa.int64())).as_py() or 0
        if not count:
            return
        self.count += count
        indices = pc.indices_nonzero(mask).slice(0, MAX_PROBLEMS).to_pylist()
        for i in indices:
            text = reason(values[i].as_py()) if callable(reason) else reason
            self.items.append({"row": first_row + i, "column": column, "reason": text})
        self._trim()

    def _trim(self) -> None:
        self.items.sort(key=lambda p: (p["row"] is None, p["row"] or 0))
        del self.items[MAX_PROBLEMS:]

    def message(self) -> str:
        lines = [f"{self.count} problem(s); the file was not imported, nothing changed:"]
        for p in self.items:
            where = f"row {p['row']}" if p["row"] is not None else "file"
            column = f", column {p['column']}" if p["column"] else ""
            lines.append(f"  {where}{column}: {p['reason']}")
        if self.count > len(self.items):
            lines.append(f"  … and {self.count - len(self.items)} more")
        return "\n".join(lines)
