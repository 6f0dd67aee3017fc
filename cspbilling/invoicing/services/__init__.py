"""The write path of invoicing. Each step runs inside the caller's transaction; edges call its
`do_` entry point (see cspbilling/core/services.py)."""

from cspbilling.invoicing.services.price_rules import (
    change_price_rule,
    create_price_rule,
    do_change_price_rule,
    do_create_price_rule,
    do_end_price_rule,
    end_price_rule,
)

__all__ = [
    "change_price_rule",
    "create_price_rule",
    "do_change_price_rule",
    "do_create_price_rule",
    "do_end_price_rule",
    "end_price_rule",
]
