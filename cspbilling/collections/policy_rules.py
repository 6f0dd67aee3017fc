"""What a collections policy may say: the shape of a version's stages, checked before anything is
written (from the console form or a YAML file), with errors that name the stage and the field.

A spec is plain data, the same whether it came from YAML or the console:

    {"policy": "Standard", "default": True, "min_notice_days": 7,
     "stages": [{"code": "reminder", "name": "Reminder", "offset": 1, "days": "business",
                 "min_overdue": "0", "actions": ["notify"],
                 "templates": {"zh-hans": {"subject": …, "body": …}, "en": …, "fr": …}}, …]}

`actions` holds `notify`, `restrict`, `suspend` (automatic), `suspend_after_approval`, `escalate`.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml
from django.conf import settings

from cspbilling.collections.models import LANGUAGES, DayKind, SuspendMode
from cspbilling.core.money import MoneyError, parse_amount, to_minor_units

ACTIONS = ("notify", "restrict", "suspend", "suspend_after_approval", "escalate")
# What a notice template may quote (str.format placeholders).
PLACEHOLDERS = {
    "customer",
    "amount",
    "currency",
    "invoices",
    "oldest_due",
    "policy_version",
    "stage",
    "next_step_day",
}
STAGE_KEYS = {"code", "name", "offset", "days", "min_overdue", "actions", "templates"}


class PolicyError(ValueError):
    """A policy that cannot be used; `problems` lists each one, naming the stage and field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class StageSpec:
    position: int
    code: str
    name: str
    names: dict[str, str]
    offset_days: int
    day_kind: str
    min_overdue_minor: int
    notify: bool
    restrict: bool
    suspend: str
    escalate: bool
    templates: dict[str, dict[str, str]] = field(default_factory=dict)

    def model_fields(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class PolicySpec:
    name: str
    is_default: bool
    min_notice_days: int
    stages: list[StageSpec]


def _int(value: Any, where: str, problems: list[str]) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        problems.append(f"{where}: {value!r} is not a whole number")
        return 0
    try:
        return int(value)
    except ValueError:
        problems.append(f"{where}: {value!r} is not a whole number")
        return 0


def _template_problems(where: str, templates: Any) -> list[str]:
    if not isinstance(templates, dict):
        return [f"{where}: templates must map each language ({', '.join(LANGUAGES)}) to a text"]
    problems = []
    for lang in LANGUAGES:
        text = templates.get(lang)
        if not isinstance(text, dict) or not all(
            isinstance(text.get(k), str) and text.get(k).strip() for k in ("subject", "body")
        ):
            problems.append(f"{where}: templates.{lang} needs a subject and a body")
            continue
        if "\n" in text["subject"].strip():
            problems.append(f"{where}: templates.{lang}.subject must be one line")
        for part in ("subject", "body"):
            try:
                names = {n for _, n, _, _ in string.Formatter().parse(text[part]) if n}
            except ValueError as exc:
                problems.append(f"{where}: templates.{lang}.{part}: {exc}")
                continue
            unknown = names - PLACEHOLDERS
            if unknown:
                problems.append(
                    f"{where}: templates.{lang}.{part} uses unknown placeholder(s) "
                    f"{', '.join(sorted(unknown))} (known: {', '.join(sorted(PLACEHOLDERS))})"
                )
    extra = set(templates) - set(LANGUAGES)
    if extra:
        problems.append(f"{where}: templates: unknown language(s) {', '.join(sorted(extra))}")
    return problems


def _names(where: str, raw: Any, code: str, problems: list[str]) -> tuple[str, dict[str, str]]:
    """(name, names): one name for every language, or one per language (all of them)."""
    if raw is None or isinstance(raw, str):
        return (str(raw or "").strip() or code)[:100], {}
    if not isinstance(raw, dict):
        problems.append(f"{where}: name must be a text, or a text per language")
        return code, {}
    names = {}
    for lang in LANGUAGES:
        text = raw.get(lang)
        if not isinstance(text, str) or not text.strip():
            problems.append(
                f"{where}: name.{lang} is missing (a name per language needs all of "
                f"{', '.join(LANGUAGES)})"
            )
        elif len(text.strip()) > 100:
            problems.append(f"{where}: name.{lang} is longer than 100 characters")
        else:
            names[lang] = text.strip()
    extra = set(raw) - set(LANGUAGES)
    if extra:
        problems.append(f"{where}: name: unknown language(s) {', '.join(sorted(extra))}")
    return names.get("en") or code, names


def _stage(position: int, raw: Any, problems: list[str]) -> StageSpec | None:
    where = f"stage {position}"
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a mapping with code, offset, actions, …")
        return None
    code = str(raw.get("code") or "").strip()
    where = f"stage {position} ({code or 'no code'})"
    if not code or not code.replace("-", "").replace("_", "").isalnum() or len(code) > 40:
        problems.append(f"{where}: code must be a short slug (letters, digits, - and _)")
    unknown = set(raw) - STAGE_KEYS
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    offset = _int(raw.get("offset"), f"{where}: offset", problems)
    days = str(raw.get("days") or DayKind.CALENDAR)
    if days not in DayKind.values:
        problems.append(f"{where}: days must be one of {', '.join(DayKind.values)}, not {days!r}")
    try:
        min_minor = to_minor_units(parse_amount(str(raw.get("min_overdue") or "0")), "CNY")
    except (MoneyError, ArithmeticError, ValueError):
        problems.append(f"{where}: min_overdue {raw.get('min_overdue')!r} is not an amount")
        min_minor = 0
    if min_minor < 0:
        problems.append(f"{where}: min_overdue cannot be negative")
    actions = raw.get("actions") or []
    if not isinstance(actions, list) or not actions:
        problems.append(f"{where}: actions must list at least one of {', '.join(ACTIONS)}")
        actions = []
    bad = [a for a in actions if a not in ACTIONS]
    if bad:
        problems.append(f"{where}: unknown action(s) {bad} (use {', '.join(ACTIONS)})")
    if "suspend" in actions and "suspend_after_approval" in actions:
        problems.append(f"{where}: choose suspend or suspend_after_approval, not both")
    name, names = _names(where, raw.get("name"), code, problems)
    templates = raw.get("templates") or {}
    if "notify" in actions:
        problems.extend(_template_problems(where, templates))
    elif templates:
        problems.append(f"{where}: templates given but the stage does not notify")
    suspend = (
        SuspendMode.AUTO
        if "suspend" in actions
        else SuspendMode.APPROVAL
        if "suspend_after_approval" in actions
        else SuspendMode.NONE
    )
    return StageSpec(
        position=position,
        code=code,
        name=name,
        names=names,
        offset_days=offset,
        day_kind=days,
        min_overdue_minor=min_minor,
        notify="notify" in actions,
        restrict="restrict" in actions,
        suspend=str(suspend),
        escalate="escalate" in actions,
        templates=templates if "notify" in actions else {},
    )


def check_stages(stages: list[StageSpec], *, min_notice_days: int) -> list[str]:
    """The rules across stages: offsets increasing, each suspension preceded by a notice that
    leaves the customer `min_notice_days`, codes unique."""
    problems = []
    seen: set[str] = set()
    for before, stage in zip(stages, stages[1:], strict=False):
        if stage.offset_days <= before.offset_days:
            problems.append(
                f"stage {stage.position} ({stage.code}): offset {stage.offset_days} must be after "
                f"the previous stage's {before.offset_days}"
            )
    for stage in stages:
        if stage.code in seen:
            problems.append(f"stage {stage.position} ({stage.code}): code used twice")
        seen.add(stage.code)
        if not stage.suspend:
            continue
        notices = [
            s
            for s in stages
            if s.notify
            and s.position < stage.position
            and s.offset_days + min_notice_days <= stage.offset_days
        ]
        if not notices:
            problems.append(
                f"stage {stage.position} ({stage.code}): a suspension needs an earlier notice "
                f"at least {min_notice_days} days before it"
            )
    return problems


def parse_spec(data: Any) -> PolicySpec:
    """A policy spec (from YAML or the console) checked whole; PolicyError lists every problem."""
    if not isinstance(data, dict):
        raise PolicyError(["the file must be a mapping with policy, stages, …"])
    problems: list[str] = []
    name = str(data.get("policy") or "").strip()
    if not name:
        problems.append("policy: a name is required")
    min_days_default = settings.COLLECTIONS_MIN_NOTICE_DAYS
    min_notice_days = _int(
        data.get("min_notice_days", min_days_default), "min_notice_days", problems
    )
    if min_notice_days < min_days_default:
        problems.append(
            f"min_notice_days: {min_notice_days} is less than the partner's minimum "
            f"{min_days_default} (COLLECTIONS_MIN_NOTICE_DAYS)"
        )
    raw_stages = data.get("stages")
    if not isinstance(raw_stages, list) or not raw_stages:
        problems.append("stages: at least one stage is required")
        raw_stages = []
    stages = [s for s in (_stage(n, raw, problems) for n, raw in enumerate(raw_stages, 1)) if s]
    problems += check_stages(stages, min_notice_days=min_notice_days)
    if problems:
        raise PolicyError(problems)
    return PolicySpec(
        name=name,
        is_default=bool(data.get("default", False)),
        min_notice_days=min_notice_days,
        stages=stages,
    )


def parse_yaml(text: str) -> PolicySpec:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise PolicyError([f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    return parse_spec(data)


def spec_of_version(version) -> dict[str, Any]:
    """A version as a spec (to copy it into a new draft, or show it as YAML)."""
    stages = []
    for s in version.stages.all():
        actions = [
            a
            for a, on in (
                ("notify", s.notify),
                ("restrict", s.restrict),
                ("suspend", s.suspend == SuspendMode.AUTO),
                ("suspend_after_approval", s.suspend == SuspendMode.APPROVAL),
                ("escalate", s.escalate),
            )
            if on
        ]
        stage = {
            "code": s.code,
            "name": s.names or s.name,
            "offset": s.offset_days,
            "days": s.day_kind,
            "min_overdue": str(Decimal(s.min_overdue_minor) / 100),
            "actions": actions,
        }
        if s.notify:
            stage["templates"] = s.templates
        stages.append(stage)
    return {
        "policy": version.policy.name,
        "default": version.policy.is_default,
        "min_notice_days": version.min_notice_days,
        "stages": stages,
    }
