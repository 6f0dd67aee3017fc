from decimal import Decimal

from django.db import migrations


def add_cloud_services(apps, schema_editor):
    TaxCategory = apps.get_model("invoicing", "TaxCategory")
    TaxCategory.objects.get_or_create(
        code="cloud-services", defaults={"name": "Cloud services", "rate": Decimal("0.0600")}
    )


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0001_price_rules")]
    operations = [migrations.RunPython(add_cloud_services, migrations.RunPython.noop)]
