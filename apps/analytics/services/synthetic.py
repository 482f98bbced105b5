"""A seeded synthetic market-quote generator for the demo and the benchmarks.

No open Chinese price data set exists (DOMAIN.md), so the demo's quotes are made up — and
say so: every market, commodity and quote it writes has `is_synthetic=True`, market names end
in "（合成）", and the pages print a notice. Levels are calibrated to published national
averages (the 28 vegetables around 4–6 元/公斤, pork about 25, eggs about 9, rice about 6).
Each series is base level × market offset × yearly seasonality (vegetables dearest in winter)
× a weekly ripple × an AR(1) walk, with a few shocks (weather, disease) of +25–60 % for 10–30
days, and about 3 % of days without a quote. The same seed gives the same rows.
"""

import datetime as dt
import io
import math
import random
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from apps.analytics.models import Commodity, Market, PriceObservation

SYNTHETIC_SUFFIX = "（合成）"

MARKETS = [
    ("北京新发地", "北京", "丰台区"),
    ("寿光农产品物流园", "山东", "寿光市"),
    ("上海江桥批发市场", "上海", "嘉定区"),
    ("广州江南果菜批发市场", "广东", "白云区"),
    ("武汉白沙洲大市场", "湖北", "洪山区"),
    ("成都农产品中心批发市场", "四川", "新都区"),
    ("西安欣桥批发市场", "陕西", "灞桥区"),
    ("沈阳八家子批发市场", "辽宁", "于洪区"),
    ("郑州万邦国际物流城", "河南", "中牟县"),
    ("长沙马王堆批发市场", "湖南", "芙蓉区"),
    ("南京众彩物流中心", "江苏", "雨花台区"),
    ("杭州农副产品物流中心", "浙江", "余杭区"),
    ("重庆双福国际农贸城", "重庆", "江津区"),
    ("昆明王旗营批发市场", "云南", "官渡区"),
    ("哈尔滨哈达批发市场", "黑龙江", "南岗区"),
    ("南宁五里亭批发市场", "广西", "青秀区"),
    ("合肥周谷堆大市场", "安徽", "包河区"),
    ("济南堤口路批发市场", "山东", "天桥区"),
    ("石家庄桥西蔬菜中心", "河北", "桥西区"),
    ("乌鲁木齐北园春市场", "新疆", "沙依巴克区"),
]

# name, L1, L2, base 元/公斤, yearly amplitude (share of the level; peak in winter when > 0)
COMMODITIES = [
    ("大白菜", "蔬菜", "叶菜类", 1.8, 0.30),
    ("小白菜", "蔬菜", "叶菜类", 4.0, 0.25),
    ("油菜", "蔬菜", "叶菜类", 4.2, 0.25),
    ("菠菜", "蔬菜", "叶菜类", 5.5, 0.35),
    ("生菜", "蔬菜", "叶菜类", 4.6, 0.25),
    ("芹菜", "蔬菜", "叶菜类", 3.8, 0.30),
    ("韭菜", "蔬菜", "葱蒜类", 5.6, 0.30),
    ("卷心菜", "蔬菜", "叶菜类", 2.2, 0.30),
    ("菜花", "蔬菜", "花菜类", 4.4, 0.25),
    ("西兰花", "蔬菜", "花菜类", 7.2, 0.25),
    ("黄瓜", "蔬菜", "瓜类", 4.8, 0.35),
    ("西葫芦", "蔬菜", "瓜类", 3.8, 0.35),
    ("冬瓜", "蔬菜", "瓜类", 1.8, 0.20),
    ("苦瓜", "蔬菜", "瓜类", 6.4, 0.35),
    ("南瓜", "蔬菜", "瓜类", 2.6, 0.15),
    ("西红柿", "蔬菜", "茄果类", 5.2, 0.35),
    ("茄子", "蔬菜", "茄果类", 4.8, 0.35),
    ("青椒", "蔬菜", "茄果类", 5.4, 0.35),
    ("尖椒", "蔬菜", "茄果类", 6.6, 0.30),
    ("豆角", "蔬菜", "豆类", 7.8, 0.35),
    ("荷兰豆", "蔬菜", "豆类", 11.0, 0.30),
    ("土豆", "蔬菜", "根茎类", 2.6, 0.10),
    ("胡萝卜", "蔬菜", "根茎类", 2.4, 0.10),
    ("白萝卜", "蔬菜", "根茎类", 1.6, 0.15),
    ("莲藕", "蔬菜", "根茎类", 6.8, 0.15),
    ("山药", "蔬菜", "根茎类", 8.4, 0.10),
    ("生姜", "蔬菜", "葱蒜类", 9.6, 0.10),
    ("大蒜", "蔬菜", "葱蒜类", 8.0, 0.10),
    ("大葱", "蔬菜", "葱蒜类", 3.4, 0.20),
    ("洋葱", "蔬菜", "葱蒜类", 2.4, 0.10),
    ("香菜", "蔬菜", "叶菜类", 8.6, 0.35),
    ("蒜苗", "蔬菜", "葱蒜类", 7.0, 0.30),
    ("平菇", "蔬菜", "食用菌", 6.4, 0.15),
    ("香菇", "蔬菜", "食用菌", 12.0, 0.10),
    ("金针菇", "蔬菜", "食用菌", 6.0, 0.10),
    ("苹果", "水果", "仁果类", 8.6, -0.10),
    ("梨", "水果", "仁果类", 6.0, -0.10),
    ("香蕉", "水果", "热带水果", 5.6, 0.10),
    ("橙子", "水果", "柑橘类", 8.0, 0.15),
    ("砂糖橘", "水果", "柑橘类", 7.0, 0.20),
    ("柚子", "水果", "柑橘类", 4.4, 0.15),
    ("葡萄", "水果", "浆果类", 12.0, -0.25),
    ("西瓜", "水果", "瓜果类", 3.2, 0.45),
    ("哈密瓜", "水果", "瓜果类", 6.4, 0.30),
    ("桃", "水果", "核果类", 9.0, -0.30),
    ("猕猴桃", "水果", "浆果类", 11.0, 0.10),
    ("菠萝", "水果", "热带水果", 6.0, 0.15),
    ("芒果", "水果", "热带水果", 10.0, 0.15),
    ("草莓", "水果", "浆果类", 22.0, -0.30),
    ("火龙果", "水果", "热带水果", 9.0, 0.10),
    ("柠檬", "水果", "柑橘类", 8.0, 0.10),
    ("猪肉", "畜产品", "猪肉", 25.0, 0.08),
    ("猪五花肉", "畜产品", "猪肉", 28.0, 0.08),
    ("猪排骨", "畜产品", "猪肉", 38.0, 0.06),
    ("牛肉", "畜产品", "牛羊肉", 76.0, 0.05),
    ("羊肉", "畜产品", "牛羊肉", 72.0, 0.08),
    ("白条鸡", "禽产品", "禽肉", 18.0, 0.05),
    ("鸡蛋", "禽产品", "鸡蛋", 9.0, 0.08),
    ("鸭蛋", "禽产品", "禽蛋", 12.0, 0.05),
    ("鸭肉", "禽产品", "禽肉", 16.0, 0.05),
    ("草鱼", "水产品", "淡水鱼", 15.0, 0.08),
    ("鲤鱼", "水产品", "淡水鱼", 13.0, 0.08),
    ("鲫鱼", "水产品", "淡水鱼", 18.0, 0.08),
    ("鲢鱼", "水产品", "淡水鱼", 10.0, 0.08),
    ("带鱼", "水产品", "海水鱼", 32.0, 0.10),
    ("大黄鱼", "水产品", "海水鱼", 40.0, 0.10),
    ("对虾", "水产品", "虾蟹", 60.0, 0.10),
    ("大米", "粮食", "稻米", 5.8, 0.02),
    ("粳米", "粮食", "稻米", 6.4, 0.02),
    ("面粉", "粮食", "小麦粉", 4.2, 0.02),
    ("玉米", "粮食", "玉米", 2.8, 0.03),
    ("小米", "粮食", "杂粮", 9.0, 0.03),
    ("黄豆", "粮食", "豆类", 6.6, 0.03),
    ("绿豆", "粮食", "豆类", 11.0, 0.03),
    ("红薯", "粮食", "薯类", 3.0, 0.15),
    ("花生", "油料", "花生", 11.0, 0.05),
    ("菜籽油", "油料", "食用油", 17.0, 0.02),
    ("花生油", "油料", "食用油", 26.0, 0.02),
    ("核桃", "干果", "坚果", 24.0, 0.05),
    ("红枣", "干果", "干枣", 18.0, 0.05),
]

COLUMNS = (
    "market_id",
    "commodity_id",
    "spec",
    "origin",
    "date",
    "low_price",
    "avg_price",
    "high_price",
    "volume_kg",
    "source_unit",
    "is_synthetic",
)


def _money(value: float) -> Decimal:
    return Decimal(f"{max(value, 0.01):.2f}")


@transaction.atomic
def market_prices_seed(
    *, days: int = 730, markets: int = 20, commodities: int = 80, seed: int = 42
) -> int:
    """Replace all synthetic quotes with `days` days (ending yesterday) of fresh ones.

    Returns the number of quotes written. Real (imported) quotes are never touched.
    """
    rng = random.Random(seed)
    market_rows = [
        Market.objects.update_or_create(
            name=f"{name}{SYNTHETIC_SUFFIX}",
            defaults={"province": province, "county": county, "is_synthetic": True},
        )[0]
        for name, province, county in MARKETS[:markets]
    ]
    commodity_rows = []
    for name, l1, l2, base, amplitude in COMMODITIES[:commodities]:
        commodity, _ = Commodity.objects.get_or_create(
            name=name,
            defaults={"category_l1": l1, "category_l2": l2, "is_synthetic": True},
        )
        commodity_rows.append((commodity, base, amplitude))
    PriceObservation.objects.filter(is_synthetic=True).delete()

    last = timezone.localdate() - dt.timedelta(days=1)
    first = last - dt.timedelta(days=days - 1)
    # A few shocks: (commodity index, first day, length, size).
    shocks = [
        (
            rng.randrange(len(commodity_rows)),
            rng.randrange(days),
            rng.randint(10, 30),
            rng.uniform(0.25, 0.6),
        )
        for _ in range(max(1, days // 90))
    ]
    rows: list[tuple] = []
    for c_index, (commodity, base, amplitude) in enumerate(commodity_rows):
        phase = rng.uniform(-20, 20)
        for market in market_rows:
            offset = math.exp(rng.gauss(0, 0.08))
            walk = 0.0
            for t in range(days):
                day = first + dt.timedelta(days=t)
                walk = 0.9 * walk + rng.gauss(0, 0.03)
                if rng.random() < 0.03:
                    continue
                yearly = amplitude * math.cos(2 * math.pi * (day.timetuple().tm_yday - phase) / 365)
                weekly = 0.02 * math.sin(2 * math.pi * day.weekday() / 7)
                shock = sum(
                    size
                    for index, start, length, size in shocks
                    if index == c_index and start <= t < start + length
                )
                avg = base * offset * (1 + yearly) * (1 + weekly + shock) * math.exp(walk)
                spread = rng.uniform(0.08, 0.25)
                rows.append(
                    (
                        market.pk,
                        commodity.pk,
                        "",
                        "",
                        day,
                        _money(avg * (1 - spread)),
                        _money(avg),
                        _money(avg * (1 + spread)),
                        _money(rng.lognormvariate(9, 0.6)),
                        "元/公斤",
                        True,
                    )
                )
    _write(rows)
    return len(rows)


def _write(rows: list[tuple]) -> None:
    if connection.vendor == "postgresql":
        # COPY: a million rows in seconds rather than minutes.
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(str(value) for value in row))
            buffer.write("\n")
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                f"COPY analytics_priceobservation ({', '.join(COLUMNS)}) FROM STDIN"
            ) as copy,
        ):
            copy.write(buffer.getvalue())
        return
    PriceObservation.objects.bulk_create(
        (PriceObservation(**dict(zip(COLUMNS, row, strict=True))) for row in rows),
        batch_size=2000,
    )
