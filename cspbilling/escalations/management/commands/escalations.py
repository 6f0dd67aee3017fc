"""`cspbilling escalations list [--status S] [--customer T] [--json]` · `escalations ticket REF
NUMBER` · `escalations sync` · `escalations remind` · `escalations match-credits`."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from cspbilling.escalations.models import EscalationStatus


class Command(BaseCommand):
    help = (
        "Escalations to 21Vianet: list, record a ticket number, sync (api), remind, match credits"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="list escalations")
        listing.add_argument(
            "--status",
            default="",
            choices=["", "open", "credit_to_check", *EscalationStatus.values],
            help="open, credit_to_check (short of the promise, one found but not surely this "
            "escalation's, or credited twice), or a status",
        )
        listing.add_argument("--customer", default="", help="the customer's tenant id")
        listing.add_argument("--json", action="store_true")
        ticket = sub.add_parser("ticket", help="record the ticket number of a portal filing")
        ticket.add_argument("reference")
        ticket.add_argument("number")
        sub.add_parser("sync", help="api mode: finish filings and read due requests once")
        sub.add_parser("remind", help="send the reminders and customer updates that are due")
        sub.add_parser("match-credits", help="match promised credits on upstream invoices")

    def handle(self, *args, action: str, **options):
        from cspbilling.escalations import selectors, services

        if action == "ticket":
            from cspbilling.escalations.models import Escalation

            escalation = Escalation.objects.filter(reference=options["reference"]).first()
            if escalation is None:
                raise CommandError(f"no escalation {options['reference']}")
            try:
                services.do_record_ticket_number(
                    escalation=escalation, ticket_number=options["number"], actor="cli"
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"{escalation.reference} filed: ticket {options['number']}")
            return
        if action == "sync":
            self.stdout.write(json.dumps(services.do_sync_escalations()))
            return
        if action == "remind":
            self.stdout.write(json.dumps(services.do_send_reminders()))
            return
        if action == "match-credits":
            self.stdout.write(json.dumps(services.do_match_credits()))
            return
        customer = None
        if options["customer"]:
            from cspbilling.customers.models import Customer

            try:
                customer = Customer.objects.filter(tenant_id=options["customer"]).first()
            except Exception as exc:  # a malformed tenant id
                raise CommandError(f"cannot list escalations: {exc}") from None
            if customer is None:
                raise CommandError(f"no customer {options['customer']}")
        rows = [
            {
                "reference": e.reference,
                "case": e.case.reference,
                "customer_tenant_id": str(e.customer.tenant_id),
                "status": e.status,
                "channel": e.channel,
                "ticket_number": e.ticket_number,
                "disputed": f"{e.disputed_amount:.2f}",
                "currency": e.currency,
                "age_days": selectors.age_days(e),
                "next_reminder_at": e.next_reminder_at.isoformat() if e.next_reminder_at else None,
            }
            for e in selectors.escalations(status=options["status"], customer=customer)
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            self.stdout.write(
                f"{row['reference']}  {row['status']:<15} {row['ticket_number'] or '-':<16} "
                f"{row['case']}  {row['disputed']} {row['currency']}  {row['age_days']}d"
            )
