"""Collections' named locks."""

from __future__ import annotations

from cspbilling.collections.models import Episode, PauseSwitch


def lock_collections_switch() -> PauseSwitch:
    """The one switch row, locked: a run and a change of the pause switch never overlap, and
    two runs never decide at the same time."""
    switch = PauseSwitch.objects.select_for_update().order_by("pk").first()
    if switch is None:
        # A fixed key: two first runs at once make one row (the second waits on the key, then
        # finds the first's), not a row each that each would lock and decide under.
        PauseSwitch.objects.get_or_create(pk=1)
        switch = PauseSwitch.objects.select_for_update().order_by("pk").first()
    return switch


def lock_open_episode(customer_id: int) -> Episode | None:
    return (
        Episode.objects.select_for_update().filter(customer_id=customer_id, closed_on=None).first()
    )
