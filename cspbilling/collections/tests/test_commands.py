"""`cspbilling collections import-policy` and `run --dry-run --json`."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command

from cspbilling.collections.models import Action, PolicyVersion
from cspbilling.collections.tests.fixtures import DEFAULT_POLICY

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args) -> str:
    out = StringIO()
    call_command("collections", *args, stdout=out)
    return out.getvalue()


def test_import_policy_refuses_a_bad_file_whole_and_names_the_stage(tmp_path, db) -> None:
    data = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    data["policy"] = "Imported"
    data["stages"][3]["offset"] = "soon"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    before = PolicyVersion.objects.count()
    with pytest.raises(CommandError) as caught:
        run("import-policy", str(bad))
    assert "stage 4 (suspension): offset: 'soon' is not a whole number" in str(caught.value)
    assert PolicyVersion.objects.count() == before
    data["stages"][3]["offset"] = 30
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert run("import-policy", str(good), "--publish").strip() == (
        "Imported v1: published, 4 stage(s)"
    )
    assert "offset: 30" in run("show-policy", "Imported")


def test_run_dry_run_json_lists_the_actions_and_changes_nothing(
    overdue_customer, smtp_server
) -> None:
    m, invoice = overdue_customer(dt.date(2026, 4, 28))
    out = json.loads(run("run", "--as-of", "2026-04-29", "--dry-run", "--json"))
    assert out["dry_run"] is True and out["counts"] == {"notify:done": 1}
    [action] = out["actions"]
    assert action | {"customer": 0} == {
        "customer": 0,
        "stage": "reminder",
        "action": "notify",
        "status": "done",
        "reason": "",
        "policy_version": "Standard v1",
        "acknowledged": False,
        "invoices": [invoice.number],
        "amount": "1060.00",
        "currency": "CNY",
        "suspensions": [],
    }
    assert action["customer"] == m.customer.pk
    assert Action.objects.count() == 0
    with pytest.raises(CommandError, match="is not a day"):
        run("run", "--as-of", "tomorrow")


def test_run_lists_the_first_actions_and_counts_the_rest(
    overdue_customer, smtp_server, monkeypatch
) -> None:
    from cspbilling.collections.management.commands import collections as command

    monkeypatch.setattr(command, "LISTED", 2)
    for _ in range(3):
        overdue_customer(dt.date(2026, 4, 28))
    out = run("run", "--as-of", "2026-04-29", "--dry-run")
    lines = out.splitlines()
    assert lines[0] == "collections run of 2026-04-29: would take 3 action(s)"
    assert sum(" reminder notify done" in line for line in lines) == 2
    assert "  … and 1 more (--json lists all)" in lines
    listed = json.loads(run("run", "--as-of", "2026-04-29", "--dry-run", "--json"))
    assert listed["total"] == 3 and len(listed["actions"]) == 3


def test_a_run_before_any_policy_is_published_does_nothing_and_says_so(overdue_invoice) -> None:
    """The scheduler runs every day, also on a new installation: with customers overdue and no
    published policy, there is no stage to reach: no action, no episode, no error."""
    from cspbilling.collections.models import Episode

    overdue_invoice(dt.date(2026, 4, 28))
    out = json.loads(run("run", "--as-of", "2026-06-30", "--json"))
    assert (out["total"], out["actions"]) == (0, [])
    assert not Action.objects.exists() and not Episode.objects.exists()
