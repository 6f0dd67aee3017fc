"""Invoices, the balance summary and invoice line items (query-string and older path form)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cspbilling.partnercenter.sandbox import ledger, usage
from cspbilling.partnercenter.sandbox.http_util import Reply, Request, offset_page, ok
from cspbilling.partnercenter.sandbox.state import SandboxError, SandboxState

_PROVIDERS = {
    "office": "office",
    "azure": "azure",
    "onetime": "one_time",
    "marketplace": "marketplace",
}
_TYPES = {"billinglineitems": "billing_line_items", "usagelineitems": "usage_line_items"}
MAX_LINE_ITEMS = 2000


def list_invoices(state: SandboxState, req: Request) -> Reply:
    newest_first = list(reversed(state.world.invoices))
    return ok(offset_page(req, newest_first, "/invoices", default_size=200, maximum=200))


def get_invoice(state: SandboxState, req: Request) -> Reply:
    invoice = dict(state.invoice(req.params["iid"]))
    expires = (datetime.now(UTC) + timedelta(minutes=30)).strftime("%Y%m%dT%H%M%SZ")
    invoice["pdfDownloadLink"] = (
        f"{req.base_url}/v1/invoices/{invoice['id']}/documents/statement?se={expires}"
    )
    return ok(invoice)


def invoice_statement(state: SandboxState, req: Request) -> Reply:
    invoice = state.invoice(req.params["iid"])
    pdf = b"%PDF-1.4\n% sandbox statement " + invoice["id"].encode() + b"\n%%EOF\n"
    return ok(pdf, headers={"Content-Type": "application/pdf"})


def invoice_summary(state: SandboxState, req: Request) -> Reply:
    return ok(ledger.summary(state.world))


def invoice_summaries(state: SandboxState, req: Request) -> Reply:
    summary = ledger.summary(state.world)
    return ok(
        {
            "totalCount": 1,
            "items": [summary],
            "links": {},
            "attributes": {"objectType": "Collection"},
        }
    )


def _line_items(state: SandboxState, req: Request, provider: str, kind: str) -> Reply:
    invoice = state.invoice(req.params["iid"])
    p = _PROVIDERS.get(provider.lower().replace("_", ""))
    t = _TYPES.get(kind.lower().replace("_", ""))
    if p is None or t is None:
        raise SandboxError(
            400,
            None,
            "provider must be office, azure, one_time or "
            "marketplace; invoicelineitemtype billinglineitems or usagelineitems",
        )
    lines = state.world.invoice_lines[invoice["id"]]
    if (p, t) == ("office", "billing_line_items"):
        source: list = lines["office"]
    elif (p, t) == ("azure", "billing_line_items"):
        source = lines["azure"]
    elif (p, t) == ("azure", "usage_line_items"):
        source = usage.daily_usage(state.world, invoice)
    elif (p, t) == ("marketplace", "usage_line_items"):
        source = usage.daily_rated(state.world, invoice)
    else:
        source = []
    base = f"/invoices/{invoice['id']}/lineitems"
    page = offset_page(
        req,
        source,
        base,
        default_size=MAX_LINE_ITEMS,
        maximum=MAX_LINE_ITEMS,
        extra_query=f"provider={p}&invoicelineitemtype={t.replace('_', '')}",
    )
    if p == "office" and t == "billing_line_items":
        page["items"] = [ledger.render_license(line, invoice["id"]) for line in page["items"]]
    return ok(page)


def line_items_query(state: SandboxState, req: Request) -> Reply:
    provider, kind = req.query.get("provider"), req.query.get("invoicelineitemtype")
    if not provider or not kind:
        raise SandboxError(400, None, "provider and invoicelineitemtype are required")
    return _line_items(state, req, provider, kind)


def line_items_path(state: SandboxState, req: Request) -> Reply:
    return _line_items(state, req, req.params["provider"], req.params["kind"])


ROUTES = [
    ("GET", r"/v1/invoices", list_invoices),
    ("GET", r"/v1/invoices/summary", invoice_summary),
    ("GET", r"/v1/invoices/summaries", invoice_summaries),
    ("GET", r"/v1/invoices/(?P<iid>[^/]+)", get_invoice),
    ("GET", r"/v1/invoices/(?P<iid>[^/]+)/documents/statement", invoice_statement),
    ("GET", r"/v1/invoices/(?P<iid>[^/]+)/lineitems", line_items_query),
    (
        "GET",
        r"/v1/invoices/(?P<iid>[^/]+)/lineitems/(?P<provider>[^/]+)/(?P<kind>[^/]+)",
        line_items_path,
    ),
]
