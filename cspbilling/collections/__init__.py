"""collections: versioned collections policies, acknowledgements, dunning state and actions,
promises to pay, exemptions (daily run; approvals; reinstatement).

Reserved so that the import contracts in pyproject.toml hold for it from its first line;
not an installed app until its issue lands (see ../shared/DESIGN.md).
"""
