"""A starting table of produce synonyms and regional names (staff edit it in the admin), and
every product's search text marked stale so the periodic job rebuilds it with the new fields."""

from django.db import migrations

# (words, one_way): two-way rows make every word stand for the others; a one-way row expands
# only its first word (橙子 finds 脐橙, a search for 脐橙 does not bring every orange).
SYNONYMS = [
    ("番茄 西红柿", False),
    ("马铃薯 土豆 洋芋 山药蛋", False),
    ("红薯 地瓜 番薯 甘薯 白薯 红苕", False),
    ("玉米 苞米 包谷 玉蜀黍 苞谷", False),
    ("橙子 橙 脐橙 甜橙 冰糖橙 血橙", True),
    ("柚子 柚 蜜柚 沙田柚 文旦", True),
    ("橘子 桔子 蜜橘 砂糖橘 沃柑", True),
    ("猕猴桃 奇异果 狐狸桃", False),
    ("花生 落花生 长生果", False),
    ("香菜 芫荽", False),
    ("茄子 矮瓜 落苏", False),
    ("辣椒 海椒 辣子 青椒", False),
    ("荸荠 马蹄 地栗", False),
    ("山药 淮山 怀山药", False),
    ("芋头 芋艿 毛芋", False),
    ("大白菜 白菜 黄芽白 结球白菜", False),
    ("卷心菜 包菜 圆白菜 甘蓝 莲花白", False),
    ("黄豆 大豆", False),
    ("面粉 小麦粉", False),
    ("木耳 黑木耳", False),
    ("香菇 花菇 冬菇", True),
    ("土鸡 走地鸡 草鸡 柴鸡", False),
    ("鸡蛋 鸡子", False),
    ("土鸡蛋 柴鸡蛋 草鸡蛋 笨鸡蛋", False),
    ("小米 谷子米 黄小米", True),
    ("核桃 胡桃", False),
    ("蜂蜜 蜂糖", False),
    ("食用油 菜籽油 花生油 豆油 葵花籽油", True),
]


def seed(apps, schema_editor):
    SearchSynonym = apps.get_model("catalog", "SearchSynonym")
    for words, one_way in SYNONYMS:
        SearchSynonym.objects.get_or_create(words=words, defaults={"one_way": one_way})
    apps.get_model("catalog", "Product").objects.update(is_search_stale=True)


def unseed(apps, schema_editor):
    SearchSynonym = apps.get_model("catalog", "SearchSynonym")
    SearchSynonym.objects.filter(words__in=[w for w, _ in SYNONYMS]).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_search_ranking_synonyms")]

    operations = [migrations.RunPython(seed, unseed)]
