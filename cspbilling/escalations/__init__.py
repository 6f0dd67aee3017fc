"""escalations: requests to 21Vianet on behalf of a customer, upstream ticket numbers, notes,
outcome (prepare; file; track).

Reserved so that the import contracts in pyproject.toml hold for it from its first line;
not an installed app until its issue lands (see ../shared/DESIGN.md).
"""
