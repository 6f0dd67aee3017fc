"""cases: billing support cases, messages, SLA, resolution, satisfaction (intake; work; close the
loop).

Reserved so that the import contracts in pyproject.toml hold for it from its first line;
not an installed app until its issue lands (see ../shared/DESIGN.md).
"""
