"""DOMAIN.md's SLA defaults as rows staff can edit (P1 1 h / 24 h; P2 4 working hours / 3
working days; P3 1 working day / 7 working days; callback within 3 days)."""

from django.db import migrations

DEFAULTS = [
    ("p1", 60, False, 24 * 60, False),
    ("p2", 4 * 60, True, 3 * 9 * 60, True),
    ("p3", 9 * 60, True, 7 * 9 * 60, True),
]


def create(apps, schema_editor):
    SlaPolicy = apps.get_model("customer_service", "SlaPolicy")
    for priority, first, first_business, whole, whole_business in DEFAULTS:
        SlaPolicy.objects.get_or_create(
            priority=priority,
            defaults={
                "first_response_minutes": first,
                "first_response_business": first_business,
                "resolution_minutes": whole,
                "resolution_business": whole_business,
                "callback_days": 3,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("customer_service", "0001_cases")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
