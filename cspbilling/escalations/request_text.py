"""The request to 21Vianet, prepared from the case: a title and description in Chinese, the
disputed upstream lines as CSV, and the portal steps. No database writes here (services save)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from cspbilling.cases.models import Case
from cspbilling.core.csv_export import SafeCsvWriter
from cspbilling.core.money import from_minor_units
from cspbilling.upstream.models import UpstreamLineItem

CAUSE_ZH = {
    "wrong_price": "单价有误",
    "wrong_quantity": "数量有误",
    "after_cancellation": "取消后仍被计费",
    "duplicate_charge": "重复计费",
    "not_ordered": "客户未订购",
    "fraud_or_misuse": "疑似欺诈或滥用",
    "other": "其他计费争议",
}

PORTAL_STEPS_ZH = [
    "登录由世纪互联运营的合作伙伴中心（Partner Center）。",
    "打开“支持请求” → “客户请求”，按租户 ID 找到该客户，点击“新建请求”。",
    "选择服务（将打开由世纪互联运营的 Microsoft 365 管理中心），选择“提交服务请求”。",
    "逐项粘贴下方的标题、描述和严重性，并附上争议行 CSV 文件。",
    "提交后，将世纪互联给出的工单号填回 cspbilling 的“工单号”一栏。",
]

CHECKED_ZH = "已核对订阅状态、订购记录与对账文件，确认该费用与客户的使用不符。"
ASKED_ZH = "请核实上述费用；如确属有误，请在下期发票中予以贷记（退款）。"

CSV_COLUMNS = [
    "upstream_line_id",
    "invoice_number",
    "customer_tenant_id",
    "subscription_id",
    "offer_name",
    "charge_type",
    "charge_start",
    "charge_end",
    "quantity",
    "amount",
    "tax",
    "total",
    "currency",
]


@dataclass(frozen=True)
class PreparedRequest:
    title: str
    description: str
    lines_csv: str
    disputed_minor: int
    currency: str


def lines_csv(lines: Sequence[UpstreamLineItem]) -> str:
    out = io.StringIO()
    writer = SafeCsvWriter(out, lineterminator="\r\n")  # 21Vianet's values: never formulas
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        cells = [
            line.pk,
            line.invoice.invoice_id,
            line.customer_tenant_id or "",
            line.subscription_id,
            line.offer_name,
            line.charge_type,
            line.charge_start or "",
            line.charge_end or "",
            line.quantity if line.quantity is not None else "",
            from_minor_units(line.amount_minor, line.currency),
            from_minor_units(line.tax_minor, line.currency),
            from_minor_units(line.total_minor, line.currency),
            line.currency,
        ]
        writer.writerow(cells)
    return out.getvalue()


def prepare(
    *,
    reference: str,
    case: Case,
    lines: Sequence[UpstreamLineItem],
    cause: str,
    checked: str,
    asked: str,
) -> PreparedRequest:
    """Everything 21Vianet needs in one read: who, which subscriptions, invoices and lines, how
    much, what we checked and what we ask for. Our reference goes in the title, so that their
    answers (and a lookup through an API) find the escalation again."""
    customer = case.customer
    currency = lines[0].currency if lines else customer.currency
    total = sum(line.amount_minor for line in lines)  # before tax, as 21Vianet credits
    subscriptions = sorted({line.subscription_id for line in lines if line.subscription_id})
    invoices = sorted({line.invoice.invoice_id for line in lines})
    amount = from_minor_units(total, currency)
    title = f"[{reference}] 计费争议：{customer.company_name} {CAUSE_ZH.get(cause, '')}".strip()
    rows = [
        f"  - 对账行 {line.pk}（发票 {line.invoice.invoice_id}，订阅 {line.subscription_id}，"
        f"{line.charge_start or ''}~{line.charge_end or ''}）：{line.offer_name} "
        f"{line.charge_type}，金额（不含税）{from_minor_units(line.amount_minor, line.currency)} "
        f"{line.currency}"
        for line in lines
    ]
    description = "\n".join(
        [
            f"合作伙伴参考号：{reference}（客户案例 {case.reference}）",
            f"客户公司名称：{customer.legal_name or customer.company_name}"
            + (f"（{customer.company_name}）" if customer.legal_name else ""),
            f"客户租户 ID：{customer.tenant_id}",
            f"客户域名：{customer.domain or '（无）'}",
            f"合作伙伴中心订阅 ID：{'、'.join(subscriptions) or '（无）'}",
            f"世纪互联发票号：{'、'.join(invoices) or '（无）'}",
            f"争议原因：{CAUSE_ZH.get(cause, cause)}",
            f"争议金额合计（不含税）：{amount} {currency}",
            "争议对账行（详见附件 CSV）：",
            *rows,
            "合作伙伴已核查：",
            f"  {checked.strip() or CHECKED_ZH}",
            "合作伙伴请求：",
            f"  {asked.strip() or ASKED_ZH}",
            f"回复时请注明工单号或参考号 {reference}。",
        ]
    )
    return PreparedRequest(
        title=title[:300],
        description=description,
        lines_csv=lines_csv(lines),
        disputed_minor=total,
        currency=currency,
    )
