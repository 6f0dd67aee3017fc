"""How a delivery can go wrong: a permanent error fails the message at once, the rest retry."""

from __future__ import annotations


class PermanentDeliveryError(Exception):
    """Retrying cannot help (a refused recipient, a 4xx from a webhook, an unknown command)."""


class TemporaryDeliveryError(Exception):
    """Retrying later may help (a 4xx from SMTP, a 5xx or timeout from a webhook)."""
