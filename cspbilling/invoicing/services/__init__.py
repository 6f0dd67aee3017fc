"""The write path of invoicing. Each step runs inside the caller's transaction; edges call its
`do_` entry point (see cspbilling/core/services.py)."""

from cspbilling.invoicing.services.billing_runs import BillingRunError, do_run_billing, run_billing
from cspbilling.invoicing.services.issuing import IssueError, do_issue_invoices, issue_invoices
from cspbilling.invoicing.services.price_rules import (
    change_price_rule,
    create_price_rule,
    do_change_price_rule,
    do_create_price_rule,
    do_end_price_rule,
    end_price_rule,
)

__all__ = [
    "IssueError",
    "do_issue_invoices",
    "issue_invoices",
    "BillingRunError",
    "do_run_billing",
    "run_billing",
    "change_price_rule",
    "create_price_rule",
    "do_change_price_rule",
    "do_create_price_rule",
    "do_end_price_rule",
    "end_price_rule",
]
