"""DESIGN.md's rules about where code may write, checked on the code itself (an AST walk).

A write is a `.save(`, `.delete(`, `bulk_*`, `*_or_create`, `select_for_update`, or a
`.create(`/`.update(` on a manager or queryset chain. (A queryset kept in a variable and updated
later is not seen: keep such code in services anyway.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import cspbilling

PACKAGE = Path(cspbilling.__file__).parent
# Always a database write (or a row lock): no other object of ours has these methods.
ALWAYS_WRITES = {
    "save",
    "delete",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
    "select_for_update",
}
# A write when called on a manager or a queryset (dicts and sets have an `update` too).
QUERYSET_WRITES = {"create", "update"}
QUERYSET_SOURCES = {"objects", "filter", "exclude", "all", "select_related", "only", "order_by"}


def _may_write(relative: Path) -> bool:
    parts = relative.parts
    return (
        "tests" in parts
        or "migrations" in parts
        or relative.name in {"services.py", "locks.py"}
        or "services" in parts[:-1]  # a services/ package
    )


def _on_a_queryset(receiver: ast.expr) -> bool:
    """Whether the receiver chain goes through `.objects` or a queryset method."""
    while True:
        if isinstance(receiver, ast.Call):
            receiver = receiver.func
        elif isinstance(receiver, ast.Attribute):
            if receiver.attr in QUERYSET_SOURCES:
                return True
            receiver = receiver.value
        elif isinstance(receiver, ast.Subscript):
            receiver = receiver.value
        else:
            return False


def _writes(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name = node.func.attr
        if name in ALWAYS_WRITES or (name in QUERYSET_WRITES and _on_a_queryset(node.func.value)):
            found.append((node.lineno, name))
    return found


def _modules_that_write() -> dict[str, list[tuple[int, str]]]:
    result = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if _may_write(relative):
            continue
        found = _writes(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        if found:
            result[relative.as_posix()] = found
    return result


def test_state_changes_only_in_services_and_locks():
    offenders = _modules_that_write()
    assert not offenders, (
        "writes belong in services.py (or a services/ package) and locks in locks.py; found "
        + "; ".join(
            f"{module}: " + ", ".join(f".{name}( line {line}" for line, name in found)
            for module, found in offenders.items()
        )
    )


def test_the_walk_finds_orm_writes_and_leaves_dicts_alone():
    code = """
run.save(update_fields=["x"])
Run.objects.filter(pk=1).update(status="x")
Run.objects.create(status="x")
Run.objects.select_for_update().get(pk=1)
counts.update({"a": 1})
seen.update(more)
"""
    assert [name for _, name in _writes(ast.parse(code))] == [
        "save",
        "update",
        "create",
        "select_for_update",
    ]
