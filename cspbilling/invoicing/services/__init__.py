"""The write path of invoicing. Each step runs inside the caller's transaction; edges call its
`do_` entry point (see cspbilling/core/services.py)."""

from cspbilling.invoicing.services.billing_runs import (
    BillingRunBusy,
    BillingRunError,
    do_fail_abandoned_billing_runs,
    do_request_billing_run,
    do_run_billing,
    execute_billing_run,
    request_billing_run,
)
from cspbilling.invoicing.services.credit_notes import (
    credit_invoice,
    discard_credit_note,
    do_credit_invoice,
    do_discard_credit_note,
    do_draft_credit_note,
    do_issue_credit_note,
    draft_credit_note,
    issue_credit_note,
)
from cspbilling.invoicing.services.fapiao import (
    FapiaoError,
    do_record_fapiao_issued,
    do_request_fapiao,
    record_fapiao_issued,
    request_fapiao,
)
from cspbilling.invoicing.services.holds import (
    HoldError,
    hold_upstream_line,
    release_upstream_line,
)
from cspbilling.invoicing.services.issuing import IssueError, do_issue_invoices, issue_invoices
from cspbilling.invoicing.services.price_rules import (
    change_price_rule,
    create_price_rule,
    do_change_price_rule,
    do_create_price_rule,
    do_end_price_rule,
    end_price_rule,
)
from cspbilling.invoicing.services.settlements import (
    LineBilling,
    SettlementError,
    settle_upstream_line,
    upstream_line_billing,
)
from cspbilling.invoicing.services.supplements import (
    SupplementError,
    discard_supplementary_invoice,
    do_discard_supplementary_invoice,
)

__all__ = [
    "SupplementError",
    "discard_supplementary_invoice",
    "do_discard_supplementary_invoice",
    "credit_invoice",
    "discard_credit_note",
    "do_credit_invoice",
    "do_discard_credit_note",
    "do_draft_credit_note",
    "do_issue_credit_note",
    "draft_credit_note",
    "issue_credit_note",
    "FapiaoError",
    "do_record_fapiao_issued",
    "do_request_fapiao",
    "record_fapiao_issued",
    "request_fapiao",
    "HoldError",
    "hold_upstream_line",
    "release_upstream_line",
    "IssueError",
    "do_issue_invoices",
    "issue_invoices",
    "BillingRunBusy",
    "BillingRunError",
    "do_fail_abandoned_billing_runs",
    "do_request_billing_run",
    "do_run_billing",
    "execute_billing_run",
    "request_billing_run",
    "change_price_rule",
    "create_price_rule",
    "do_change_price_rule",
    "do_create_price_rule",
    "do_end_price_rule",
    "end_price_rule",
    "LineBilling",
    "SettlementError",
    "settle_upstream_line",
    "upstream_line_billing",
]
