"""The partner's default policy (fixtures/default_policy.yaml), published as version 1."""

from pathlib import Path

from django.db import migrations
from django.utils import timezone

POLICY_FILE = Path(__file__).resolve().parent.parent / "fixtures" / "default_policy.yaml"


def create_default_policy(apps, schema_editor):
    from cspbilling.collections.policy_rules import parse_yaml

    Policy = apps.get_model("collections", "Policy")
    PolicyVersion = apps.get_model("collections", "PolicyVersion")
    Stage = apps.get_model("collections", "Stage")
    if Policy.objects.exists():
        return
    spec = parse_yaml(POLICY_FILE.read_text(encoding="utf-8"))
    policy = Policy.objects.create(name=spec.name, is_default=True)
    version = PolicyVersion.objects.create(
        policy=policy,
        number=1,
        status="published",
        min_notice_days=spec.min_notice_days,
        created_by="migration",
        published_at=timezone.now(),
        published_by="migration",
    )
    known = {f.name for f in Stage._meta.get_fields()}  # the model as it was at this migration
    for stage in spec.stages:
        fields = {k: v for k, v in stage.model_fields().items() if k in known}
        Stage.objects.create(version=version, **fields)


class Migration(migrations.Migration):
    dependencies = [("collections", "0002_policies_and_dunning")]

    operations = [migrations.RunPython(create_default_policy, migrations.RunPython.noop)]
