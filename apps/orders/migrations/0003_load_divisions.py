"""Load the official division list so `migrate` alone gives a working address book."""

from django.db import migrations


def load(apps, schema_editor):
    from apps.orders.services.divisions import divisions_load

    divisions_load(model=apps.get_model("orders", "Division"))


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_shipping_units_cancelled_at")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=True)]
