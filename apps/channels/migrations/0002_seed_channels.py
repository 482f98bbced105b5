from django.db import migrations

CHANNELS = [
    ("taobao", "淘宝/天猫", "marketplace"),
    ("jd", "京东", "marketplace"),
    ("pinduoduo", "拼多多", "marketplace"),
    ("douyin", "抖音", "social"),
    ("wechat", "微信小店", "social"),
    ("partner", "本地合作网站", "partner"),
]


def seed(apps, schema_editor):
    Channel = apps.get_model("channels", "Channel")
    for index, (code, name, kind) in enumerate(CHANNELS):
        Channel.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "sort_order": index * 10}
        )


class Migration(migrations.Migration):
    dependencies = [("channels", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
