from decimal import Decimal

from django.db import migrations

# DOMAIN.md (Analytics): 旬 change signals, yellow / red, in per cent.
THRESHOLDS = [
    ("蔬菜", "10", "15"),
    ("猪肉", "5", "10"),
    ("粮食", "2", "5"),
    ("鸡蛋", "3", "5"),
]


def seed(apps, schema_editor):
    AlertThreshold = apps.get_model("analytics", "AlertThreshold")
    for match, yellow, red in THRESHOLDS:
        AlertThreshold.objects.get_or_create(
            match=match, defaults={"yellow_pct": Decimal(yellow), "red_pct": Decimal(red)}
        )


def unseed(apps, schema_editor):
    AlertThreshold = apps.get_model("analytics", "AlertThreshold")
    AlertThreshold.objects.filter(match__in=[t[0] for t in THRESHOLDS]).delete()


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
