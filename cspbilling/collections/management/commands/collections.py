"""`cspbilling collections run|import-policy|show-policy`: the daily run and policies."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

LISTED = 50  # actions listed one per line; --json gives them all


class Command(BaseCommand):
    help = "Collections: the daily run (run), policies (import-policy, show-policy)"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="take each newly reached stage's actions, once")
        run.add_argument("--as-of", default="", help="the day to run for, YYYY-MM-DD (today)")
        run.add_argument("--dry-run", action="store_true", help="say what would happen only")
        run.add_argument("--json", action="store_true", help="the actions as JSON")
        run.add_argument("--actor", default="cli")
        imp = sub.add_parser("import-policy", help="a policy version from a YAML file (a draft)")
        imp.add_argument("file")
        imp.add_argument("--publish", action="store_true", help="publish it at once")
        imp.add_argument("--actor", default="cli")
        show = sub.add_parser("show-policy", help="a policy's newest version as YAML")
        show.add_argument("name", nargs="?", default="", help="the policy (default: the default)")

    def handle(self, *args, **options):
        return getattr(self, f"_{options['action'].replace('-', '_')}")(options)

    def _run(self, options):
        from django.utils import timezone

        from cspbilling.collections.services import do_collections_run

        try:
            as_of = dt.date.fromisoformat(options["as_of"]) if options["as_of"] else None
        except ValueError:
            raise CommandError(f"--as-of {options['as_of']!r} is not a day (YYYY-MM-DD)") from None
        result = do_collections_run(
            as_of=as_of or timezone.localdate(),
            actor=options["actor"],
            dry_run=options["dry_run"],
            keep=None if options["json"] else LISTED,
        )
        if options["json"]:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
            return
        verb = "would take" if result.dry_run else "took"
        self.stdout.write(f"collections run of {result.as_of}: {verb} {result.total} action(s)")
        for a in result.actions:
            reason = f" ({a['reason']})" if a["reason"] else ""
            self.stdout.write(
                f"  customer {a['customer']}: {a['stage']} {a['action']} {a['status']}{reason}: "
                f"{a['amount']} {a['currency']} on {', '.join(a['invoices'])} "
                f"[{a['policy_version']}]"
            )
        if result.total > len(result.actions):
            more = result.total - len(result.actions)
            self.stdout.write(f"  … and {more} more (--json lists all)")
        if result.breaker:
            self.stdout.write(f"circuit breaker: {result.breaker}")
        if result.closed_episodes:
            self.stdout.write(f"{result.closed_episodes} customer(s) no longer overdue")

    def _import_policy(self, options):
        from cspbilling.collections.policy_rules import PolicyError, parse_yaml
        from cspbilling.collections.services import (
            do_draft_policy_version,
            do_publish_policy_version,
        )

        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            spec = parse_yaml(path.read_text(encoding="utf-8"))
            version = do_draft_policy_version(spec=spec, actor=options["actor"])
            if options["publish"]:
                version = do_publish_policy_version(version=version, actor=options["actor"])
        except PolicyError as exc:
            lines = "\n".join(f"  {p}" for p in exc.problems)
            raise CommandError(f"{path.name}: nothing imported:\n{lines}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{path.name}: not UTF-8 text (nothing imported)") from None
        state = "published" if version.is_published else "draft"
        self.stdout.write(f"{version.label}: {state}, {version.stages.count()} stage(s)")

    def _show_policy(self, options):
        import yaml

        from cspbilling.collections.models import Policy
        from cspbilling.collections.policy_rules import spec_of_version

        policies = Policy.objects.all()
        policy = (
            policies.filter(name=options["name"]).first()
            if options["name"]
            else policies.filter(is_default=True).first()
        )
        if policy is None:
            raise CommandError(f"no policy {options['name']!r}")
        version = policy.versions.order_by("-number").first()
        if version is None:
            raise CommandError(f"policy {policy.name} has no version")
        self.stdout.write(f"# {version.label} ({version.status})")
        self.stdout.write(
            yaml.safe_dump(spec_of_version(version), allow_unicode=True, sort_keys=False)
        )
