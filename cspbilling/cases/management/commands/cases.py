"""`cspbilling cases list [--status S] [--customer T] [--json]`."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from cspbilling.cases.models import CaseStatus


class Command(BaseCommand):
    help = "Billing support cases: list them (as a table or JSON)"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="list cases")
        listing.add_argument("--status", default="", choices=["", *CaseStatus.values])
        listing.add_argument("--customer", default="", help="the customer's tenant id")
        listing.add_argument("--json", action="store_true")

    def handle(self, *args, action: str, **options):
        from cspbilling.cases.selectors import list_cases

        try:
            cases = list(
                list_cases(status=options["status"], customer_tenant_id=options["customer"])
            )
        except Exception as exc:  # a malformed tenant id
            raise CommandError(f"cannot list cases: {exc}") from None
        rows = [
            {
                "reference": case.reference,
                "customer_tenant_id": str(case.customer.tenant_id) if case.customer else None,
                "customer": case.customer.display_name if case.customer else None,
                "subject": case.subject,
                "category": case.category,
                "priority": case.priority,
                "status": case.status,
                "assignee": case.assignee.username if case.assignee else None,
                "channel": case.channel,
                "messages": case.message_count,
                "created_at": case.created_at.isoformat(),
                "resolution_due_at": (
                    case.resolution_due_at.isoformat() if case.resolution_due_at else None
                ),
            }
            for case in cases
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            self.stdout.write(
                f"{row['reference']}  {row['status']:<20} {row['category']:<20} "
                f"{row['customer'] or '(triage)'}: {row['subject']}"
            )
