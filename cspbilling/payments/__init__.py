"""payments: payments received, allocations, bank-statement import, reversals (record, match,
allocate).

Reserved so that the import contracts in pyproject.toml hold for it from its first line;
not an installed app until its issue lands (see ../shared/DESIGN.md).
"""
