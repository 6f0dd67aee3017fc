"""The `cspbilling` command: one entry point for every job, each a Django management command."""

from __future__ import annotations

import os
import signal
import sys

COMMANDS: dict[str, str] = {
    "demo": "set up the embedded demo (SQLite, sandbox, demo data) and run it",
    "serve": "run the web app (staff console, portal, REST API)",
    "worker": "run the background worker (outbox delivery, scheduled jobs)",
    "sandbox": "run the Partner Center sandbox (a local HTTP server)",
    "sync": "pull customers and subscriptions from Partner Center",
    "migrate": "create or update the database tables",
    "createuser": "create a staff or portal user",
    "apitoken": "issue, list or revoke API tokens for integrations",
    "audit": "audit log tools (audit verify)",
    "upstream": "21Vianet invoices and reconciliation files (upstream import FILE)",
    "billing": "bill customers: draft invoices from a month's upstream lines (billing run)",
    "invoices": "our invoices to customers (invoices issue, invoices list --json)",
    "credit-notes": "credit notes on issued invoices (credit-notes create NUMBER --reason R)",
    "payments": "payments from customers (payments record --customer T --amount A --date D)",
    "statement": "a customer's statement of account (statement TENANT --json)",
    "fapiao": "fapiao requests: export what to issue, record numbers (fapiao export -o FILE)",
    "outbox": "show and retry outbound messages",
    "cases": "billing support cases (cases list --status S --customer T --json)",
    "mail": "support mail into cases (mail ingest DIR | mail serve | mail poll)",
    "collections": "dunning: collections run [--as-of D] [--dry-run] [--json], import-policy FILE",
    "escalations": "escalations to 21Vianet (escalations list | ticket REF NUMBER | sync | remind)",
}


def usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [
        "usage: cspbilling [--debug] COMMAND [options]",
        "",
        "Billing back office for Partner Center operated by 21Vianet.",
        "",
        "commands:",
    ]
    lines += [f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items()]
    lines += ["", "Run 'cspbilling COMMAND --help' for the options of one command."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if debug:
        args.remove("--debug")
    if not args or args[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0
    command = args[0]
    if command not in COMMANDS:
        print(f"cspbilling: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cspbilling.settings")
    # A shell starts background jobs with SIGINT ignored; Ctrl-C (or `kill -INT`) must still
    # stop a sync, a sandbox or a server cleanly, wherever it was started from.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        import django
        from django.core.management import CommandError, ManagementUtility

        django.setup()
        django_args = ["cspbilling", command, *args[1:]]
        if debug:
            django_args.append("--traceback")
        ManagementUtility(django_args).execute()
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    except KeyboardInterrupt:
        print("cspbilling: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug:
            raise
        name = "error" if isinstance(exc, CommandError) else type(exc).__name__
        print(f"cspbilling {command}: {name}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
