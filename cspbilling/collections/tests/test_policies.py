"""Policies as data: YAML checked whole with errors naming the stage and field, a published
version never changes, acknowledgements say who and when, the default covers the rest."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from cspbilling.audit.models import AuditEvent
from cspbilling.collections.models import PolicyVersion, Stage
from cspbilling.collections.policy_rules import PolicyError, parse_spec, parse_yaml
from cspbilling.collections.schedule import stage_cutoff, stage_day
from cspbilling.collections.selectors import version_for
from cspbilling.collections.services import (
    PublishedVersionError,
    do_acknowledge_policy,
    do_draft_policy_version,
    do_publish_policy_version,
    do_update_draft_version,
)
from cspbilling.collections.tests.fixtures import DEFAULT_POLICY
from cspbilling.workdays.calendar import ChinaCalendar

pytestmark = pytest.mark.django_db(transaction=True)


def default_spec() -> dict:
    return yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))


def test_errors_name_the_stage_and_the_field() -> None:
    data = default_spec()
    data["stages"][1]["offset"] = 1  # not after the reminder's 1
    del data["stages"][2]["templates"]["fr"]
    data["stages"][0]["templates"]["en"]["body"] = "Pay {amout} now"
    data["stages"][3]["actions"] = ["suspend", "wipe"]
    del data["stages"][0]["name"]["fr"]  # a name per language needs all three
    data["stages"][1]["name"]["de"] = "Zweite Mahnung"
    with pytest.raises(PolicyError) as caught:
        parse_spec(data)
    problems = caught.value.problems
    assert "stage 2 (second-notice): offset 1 must be after the previous stage's 1" in problems
    assert "stage 3 (final-notice): templates.fr needs a subject and a body" in problems
    assert any(
        "stage 1 (reminder): templates.en.body uses unknown placeholder(s) amout" in p
        for p in problems
    )
    assert any(p.startswith("stage 4 (suspension): unknown action(s) ['wipe']") for p in problems)
    assert (
        "stage 1 (reminder): name.fr is missing (a name per language needs all of zh-hans, en, fr)"
        in problems
    )
    assert "stage 2 (second-notice): name: unknown language(s) de" in problems
    # One name for every language is still fine.
    data = default_spec()
    data["stages"][0]["name"] = "Reminder"
    assert parse_spec(data).stages[0].names == {}


def test_a_suspension_needs_an_earlier_notice_leaving_the_minimum_days() -> None:
    data = default_spec()
    data["stages"] = data["stages"][2:]  # the final notice at 15, the suspension at 25
    data["stages"][1]["offset"] = 18  # 3 days after the only notice: less than 7
    with pytest.raises(PolicyError, match=r"stage 2 \(suspension\): a suspension needs an earl"):
        parse_spec(data)
    data = default_spec()
    data["min_notice_days"] = 1  # below the partner's minimum (COLLECTIONS_MIN_NOTICE_DAYS)
    with pytest.raises(PolicyError, match="less than the partner's minimum"):
        parse_spec(data)


def test_bad_yaml_says_where() -> None:
    with pytest.raises(PolicyError, match="line 3, column 3: not valid YAML"):
        parse_yaml("policy: x\nstages: [\n  - {code: a\n")


def test_a_published_version_never_changes(db) -> None:
    spec = parse_spec({**default_spec(), "policy": "Strict", "default": False})
    draft = do_draft_policy_version(spec=spec, actor="finance1")
    assert draft.number == 1 and not draft.is_published
    # A draft may change.
    do_update_draft_version(version=draft, spec=spec, actor="finance1")
    published = do_publish_policy_version(version=draft, actor="finance1")
    assert published.is_published and published.published_by == "finance1"
    stages_before = list(Stage.objects.filter(version=published).values())
    with pytest.raises(PublishedVersionError, match="never changes"):
        do_update_draft_version(version=published, spec=spec, actor="finance1")
    with pytest.raises(PublishedVersionError, match="already published"):
        do_publish_policy_version(version=published, actor="finance1")
    assert list(Stage.objects.filter(version=published).values()) == stages_before
    # Importing again makes a new draft, version 2; version 1 stays as it was.
    second = do_draft_policy_version(spec=spec, actor="finance1")
    assert second.number == 2 and second.pk != published.pk
    assert PolicyVersion.objects.get(pk=published.pk).is_published
    assert AuditEvent.objects.filter(action="collections.policy_published").count() == 1


def test_customers_are_collected_under_what_they_acknowledged(default_policy, make_customer):
    signed, silent = make_customer("Signed Co"), make_customer("Silent Co")
    spec = parse_spec({**default_spec(), "policy": "Gentle", "default": False})
    gentle = do_publish_policy_version(
        version=do_draft_policy_version(spec=spec, actor="f"), actor="f"
    )
    with pytest.raises(PolicyError, match="only a published version"):
        do_acknowledge_policy(
            customer=signed,
            version=do_draft_policy_version(spec=spec, actor="f"),
            method="portal",
            acknowledged_by="x",
            actor="x",
        )
    when = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    ack = do_acknowledge_policy(
        customer=signed,
        version=gentle,
        method="signed_copy",
        acknowledged_by="Li Wei, CFO",
        acknowledged_at=when,
        actor="finance1",
        note="scan in the contract folder",
    )
    assert (ack.acknowledged_by, ack.recorded_by, ack.acknowledged_at) == (
        "Li Wei, CFO",
        "finance1",
        when,
    )
    assert version_for(signed.pk) == (gentle, True)
    assert version_for(silent.pk) == (default_policy, False)


def test_business_day_stages_step_over_golden_week_and_count_the_tiaoxiu_saturday(
    default_policy,
) -> None:
    calendar = ChinaCalendar({})
    stages = {s.code: s for s in default_policy.stages.all()}
    due = dt.date(2026, 4, 28)
    days = {code: stage_day(due, stage, calendar) for code, stage in stages.items()}
    assert days == {
        "reminder": dt.date(2026, 4, 29),
        # Apr 29, 30, (May 1-5 off), May 6, 7, 8, Saturday May 9 (调休: a working day), May 11
        "second-notice": dt.date(2026, 5, 11),
        "final-notice": dt.date(2026, 5, 21),
        "suspension": dt.date(2026, 6, 4),
    }
    # The cutoff is the inverse: the latest due day for which the stage is reached by a day.
    for code, stage in stages.items():
        cutoff = stage_cutoff(days[code], stage, calendar)
        assert cutoff >= due and stage_day(cutoff, stage, calendar) <= days[code]
        assert stage_day(cutoff + dt.timedelta(days=1), stage, calendar) > days[code]
