"""`cspbilling fapiao export|record`: what the tax clerk issues next, and what was issued."""

from __future__ import annotations

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError


def _write_csv(out, rows: list[dict]) -> None:
    from cspbilling.core.csv_export import SafeCsvWriter
    from cspbilling.invoicing.fapiao_facts import FAPIAO_EXPORT_COLUMNS

    writer = SafeCsvWriter(out)
    writer.writerow(FAPIAO_EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([row[column] or "" for column in FAPIAO_EXPORT_COLUMNS])


class Command(BaseCommand):
    help = "Fapiao requests: export the pending ones with the buyers' tax details; record numbers"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write fapiao requests as CSV (UTF-8, Excel-safe)")
        export.add_argument(
            "--status", default="requested", choices=["requested", "issued", "red_lettered"]
        )
        export.add_argument("-o", "--output", help="the file (default: standard output)")
        record = sub.add_parser("record", help="record the number the tax system gave a request")
        record.add_argument("id", type=int, help="the request's id (first column of the export)")
        record.add_argument("--number", required=True, help="the 20-digit fapiao number")
        record.add_argument("--date", required=True, help="its date, YYYY-MM-DD")
        record.add_argument("--actor", default="cli")

    def handle(self, *args, **options):
        if options["action"] == "export":
            return self._export(options)
        return self._record(options)

    def _export(self, options):
        from cspbilling.invoicing import selectors

        rows = [selectors.fapiao_row(f) for f in selectors.fapiaos(status=options["status"])]
        if not options["output"]:
            _write_csv(sys.stdout, rows)
            return
        with open(options["output"], "w", encoding="utf-8-sig", newline="") as out:
            _write_csv(out, rows)
        self.stdout.write(f"{len(rows)} fapiao request(s) written to {options['output']}")

    def _record(self, options):
        from cspbilling.invoicing.models import Fapiao
        from cspbilling.invoicing.services import FapiaoError, do_record_fapiao_issued
        from cspbilling.invoicing.transitions import TransitionError

        try:
            issued_on = dt.date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError(f"--date {options['date']!r}: give YYYY-MM-DD") from None
        fapiao = Fapiao.objects.filter(pk=options["id"]).first()
        if fapiao is None:
            raise CommandError(f"no fapiao request #{options['id']}")
        try:
            do_record_fapiao_issued(
                fapiao=fapiao, number=options["number"], issued_on=issued_on, actor=options["actor"]
            )
        except (FapiaoError, TransitionError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"fapiao {fapiao.number} recorded for {fapiao.invoice.number}")
