"""The demo county behind `manage.py seed_demo`.

A plausible county marketplace: the platform's self-operated store in 寿光 (the home county,
"本县": vegetables, eggs, poultry) plus merchant stores around well-known origins (五常 rice,
赣南 navel oranges, 安溪 tea, 东北 wood-ear fungus, ...), a two-level category tree, products
with SKUs, wholesale tiers and generated images, and one demo account per role.

Everything is deterministic: product number `i` always gets the same title, prices and SKUs, so
natural keys (store slug, category slug, product (store, title), SKU (product, spec), user
e-mail) make a second run a no-op. The first DETAILED_PRODUCTS products go one by one through
the catalogue services, each with its own Pillow-drawn image; products beyond that (only for
`--products N` benchmarks) are bulk-inserted in batches, reuse a few images per category, get
price_min set in one UPDATE per batch and their search documents from products_reindex_stale.
"""

import csv
import io
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Min, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont
from pypinyin import lazy_pinyin

from apps.accounts.models import User
from apps.accounts.services import user_create, user_set_phone
from apps.catalog.models import (
    Category,
    Certification,
    Product,
    ProductImage,
    Sku,
    Storage,
    WholesaleTier,
)
from apps.catalog.services.images import image_clean, product_image_add
from apps.catalog.services.products import product_save
from apps.catalog.services.search import products_reindex_stale
from apps.catalog.signals import demo_seeded
from apps.core.money import to_money
from apps.core.roles import PLATFORM_OPERATIONS, roles_sync
from apps.stores.divisions import division_name, division_short_name
from apps.stores.models import Store, StoreEvent, StoreMember, StoreType
from apps.stores.services import store_member_add

DEFAULT_PRODUCTS = 320
# Products built one by one through product_save with their own image; the rest are bulk rows.
DETAILED_PRODUCTS = 320
DETAILED_CHUNK = 50
BULK_BATCH = 1000
# Images per leaf category that bulk products share (no 10,000 generated pictures).
IMAGE_POOL_PER_CATEGORY = 4

FONT_PATHS = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
]

# --- Categories -----------------------------------------------------------------------------

CATEGORY_TREE: list[tuple[str, str, list[tuple[str, str]]]] = [
    (
        "liangyou",
        "粮油米面",
        [
            ("dami", "大米"),
            ("mianfen", "面粉"),
            ("shiyongyou", "食用油"),
            ("zaliang", "杂粮"),
            ("guamian", "挂面粉条"),
        ],
    ),
    (
        "shuiguo",
        "新鲜水果",
        [
            ("ganju", "柑橘橙柚"),
            ("pingguo", "苹果梨"),
            ("mihoutao", "猕猴桃"),
            ("shiling", "时令鲜果"),
        ],
    ),
    (
        "shucai",
        "蔬菜",
        [
            ("yecai", "叶菜"),
            ("genjing", "根茎薯芋"),
            ("guaqie", "瓜果茄椒"),
            ("xianjun", "鲜菌菇"),
        ],
    ),
    (
        "qinroudan",
        "禽肉蛋",
        [
            ("xiandan", "鲜蛋"),
            ("qinrou", "鸡鸭鹅"),
            ("zhurou", "猪肉"),
            ("niuyang", "牛羊肉"),
        ],
    ),
    (
        "chaye",
        "茶叶",
        [
            ("wulong", "乌龙茶"),
            ("lvcha", "绿茶"),
            ("hongcha", "红茶"),
            ("baicha", "白茶"),
        ],
    ),
    (
        "ganhuo",
        "干货特产",
        [
            ("muer", "木耳"),
            ("xianggu", "香菇菌干"),
            ("gouqi", "枸杞红枣"),
            ("jianguo", "坚果炒货"),
        ],
    ),
]
TOP_OF_LEAF = {leaf: top for top, _name, leaves in CATEGORY_TREE for leaf, _n in leaves}
CARD_COLOURS = {
    "liangyou": (176, 128, 44),
    "shuiguo": (226, 112, 30),
    "shucai": (62, 142, 65),
    "qinroudan": (184, 70, 62),
    "chaye": (92, 120, 48),
    "ganhuo": (128, 84, 52),
}

# --- Stores ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreSpec:
    key: str
    slug: str
    name: str
    type: str
    county_code: str
    township: str
    contact_name: str
    contact_phone: str
    description: str
    is_featured: bool = False


SELF_OPERATED = "ziying"

STORES: list[StoreSpec] = [
    StoreSpec(
        SELF_OPERATED,
        "tianjian-ziying",
        "田间自营旗舰店",
        StoreType.SELF_OPERATED,
        "370783",
        "圣城街道",
        "田间客服",
        "400-800-1234",
        "田间平台自营：本县寿光的蔬菜、禽蛋当日采摘直送，全国地理标志好物由平台买手产地严选，"
        "统一质检、统一售后。",
        is_featured=True,
    ),
    StoreSpec(
        "wuchang",
        "wuchang-daohuaxiang",
        "五常市稻花香水稻种植专业合作社",
        StoreType.COOPERATIVE,
        "230184",
        "民乐朝鲜族乡",
        "金永哲",
        "13904510118",
        "合作社成立于2009年，社员312户，在拉林河畔种植稻花香2号水稻4800亩，"
        "一年一季、自有烘干与低温仓储，现磨现发。",
        is_featured=True,
    ),
    StoreSpec(
        "xinfeng",
        "xinfeng-chengxiang",
        "信丰县橙香脐橙家庭农场",
        StoreType.FAMILY_FARM,
        "360722",
        "安西镇",
        "刘桂生",
        "13979712206",
        "刘家三代种橙，果园260亩，山地向阳、红壤富硒。果子树上留足时间再摘，"
        "11月中旬起按果径分级发货。",
        is_featured=True,
    ),
    StoreSpec(
        "anxi",
        "anxi-tieguanyin",
        "安溪县感德铁观音茶业有限公司",
        StoreType.ENTERPRISE,
        "350524",
        "感德镇",
        "王清水",
        "13859573311",
        "感德镇海拔800米茶园自有基地，传统半发酵工艺，清香、浓香、陈香三大系列，"
        "每批茶附第三方农残检测报告。",
        is_featured=True,
    ),
    StoreSpec(
        "wuyi",
        "wuyishan-tongmu",
        "武夷山市桐木茶叶家庭农场",
        StoreType.FAMILY_FARM,
        "350782",
        "星村镇",
        "江一鸣",
        "13905993417",
        "星村镇的小茶农家庭农场，做岩茶也做正山小种，炭火慢焙，量少但每一泡都经得起喝。",
    ),
    StoreSpec(
        "dongning",
        "dongning-heimuer",
        "东宁市绥阳黑木耳专业合作社",
        StoreType.COOPERATIVE,
        "231086",
        "绥阳镇",
        "张立军",
        "13945326652",
        "绥阳镇是“中国黑木耳第一镇”。合作社统一菌种、统一晾晒，秋耳肉厚、泡发率高，"
        "兼营东北杂粮与山货。",
        is_featured=True,
    ),
    StoreSpec(
        "shouguang_veg",
        "shouguang-laoli-shucai",
        "寿光市老李蔬菜种植大户",
        StoreType.LARGE_GROWER,
        "370783",
        "孙家集街道",
        "李德顺",
        "13953610028",
        "38个冬暖式大棚，黄瓜、番茄、彩椒一年四季不断档。凌晨采摘、上午分拣，县内下午送达。",
        is_featured=True,
    ),
    StoreSpec(
        "shouguang_qin",
        "shouguang-qingshan",
        "寿光市青山生态养殖家庭农场",
        StoreType.FAMILY_FARM,
        "370783",
        "纪台镇",
        "赵青山",
        "13853601773",
        "果园林下散养土鸡、麻鸭，自配玉米豆粕饲料，不喂促生长添加剂；另有黑猪60头。",
    ),
    StoreSpec(
        "qingyuan",
        "qingyuan-baishanzu",
        "庆元县百山祖食用菌有限公司",
        StoreType.ENTERPRISE,
        "331126",
        "百山祖镇",
        "吴建华",
        "13857081925",
        "庆元是香菇的发源地。公司以段木和代料两种方式栽培花菇、香菇、茶树菇，"
        "鲜品冷链，干品低温烘干。",
    ),
    StoreSpec(
        "zhongning",
        "zhongning-gouqi",
        "中宁县宁安枸杞产销专业合作社",
        StoreType.COOPERATIVE,
        "640521",
        "宁安镇",
        "马文斌",
        "13995518860",
        "宁安镇枸杞基地1200亩，头茬果人工采摘、自然晾晒，不熏硫，颗颗可见“白脐”。",
    ),
    StoreSpec(
        "akesu",
        "akesu-hongqipo",
        "阿克苏红旗坡果业种植大户",
        StoreType.LARGE_GROWER,
        "652901",
        "依干其乡",
        "艾力江",
        "13899608815",
        "红旗坡的沙壤土与昼夜温差养出冰糖心苹果，另种灰枣、薄皮核桃，霜降后采收，全程冷库保鲜。",
    ),
    StoreSpec(
        "hetao",
        "hetao-mianye",
        "巴彦淖尔河套面业有限公司",
        StoreType.ENTERPRISE,
        "150821",
        "隆兴昌镇",
        "高志强",
        "13847811026",
        "河套平原硬质春小麦一年一熟，公司订单收购、低温研磨，兼营冷榨葵花籽油、挂面和河套羊肉。",
    ),
    StoreSpec(
        "pujiang",
        "pujiang-mihoutao",
        "蒲江县果香猕猴桃家庭农场",
        StoreType.FAMILY_FARM,
        "510131",
        "鹤山街道",
        "陈晓红",
        "13808176523",
        "蒲江丘陵坡地上的猕猴桃与柑橘农场，红心、黄心、绿心三个品种错峰上市，软熟度分级后发货。",
    ),
]
STORE_BY_KEY = {spec.key: spec for spec in STORES}

# --- Products -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkuSpec:
    spec: str
    price: Decimal
    grams: int


@dataclass(frozen=True)
class ItemSpec:
    """One kind of product a store sells; demo products are variants of these."""

    leaf: str
    store: str
    title: str
    short: str
    subtitle: str
    origin: str
    skus: tuple[SkuSpec, ...]
    description: str
    storage: str = Storage.AMBIENT
    shelf_life_days: int = 365
    grade: str = ""
    certifications: tuple[str, ...] = ()


ITEMS_CSV = Path(__file__).with_name("demo_items.csv")


def _skus(text: str) -> tuple[SkuSpec, ...]:
    """'5kg/袋:89.90:5000|10kg/袋:169:10000' -> SKU specs (spec, price, grams)."""
    out = []
    for part in text.split("|"):
        spec, price, grams = part.rsplit(":", 2)
        out.append(SkuSpec(spec, to_money(price), int(grams)))
    return tuple(out)


# The size a SKU's spec starts with: "10斤装 果径75-80mm" -> "10斤", "2.5kg/袋" -> "2.5kg".
SIZE = re.compile(r"^\d+(?:\.\d+)?\s*(?:kg|g|千克|克|斤|L|ml|只|枚|个|盒|箱)")


def skus_title_size_first(title: str, skus: tuple[SkuSpec, ...]) -> tuple[SkuSpec, ...]:
    """The SKUs of the size the title names first (stable otherwise): a product called
    "赣南脐橙 10斤装" opens on its 10斤装, not on a 5斤装 listed before it."""

    def named(spec: SkuSpec) -> bool:
        size = SIZE.match(spec.spec)
        return bool(size) and size.group(0) in title

    return tuple(sorted(skus, key=lambda spec: not named(spec)))


def load_items(path: Path = ITEMS_CSV) -> list[ItemSpec]:
    """The kinds of product, one CSV row each (kept out of the code so the table stays
    readable): SKUs as 'spec:price:grams|...', certifications space-separated."""
    with path.open(encoding="utf-8", newline="") as f:
        return [
            ItemSpec(
                leaf=row["leaf"],
                store=row["store"],
                title=row["title"],
                short=row["short"],
                subtitle=row["subtitle"],
                origin=row["origin"],
                skus=skus_title_size_first(row["title"], _skus(row["skus"])),
                description=row["description"],
                storage=Storage(row["storage"]),
                shelf_life_days=int(row["shelf_life_days"]),
                grade=row["grade"],
                certifications=tuple(Certification(c) for c in row["certifications"].split()),
            )
            for row in csv.DictReader(f)
        ]


ITEMS = load_items()

# Variant words per top category: a product is an item plus at most one of these ...
VARIANTS: dict[str, list[str]] = {
    "liangyou": [
        "",
        "产地直发",
        "家庭囤货装",
        "礼盒装",
        "有机种植",
        "当季新货",
        "合作社直供",
        "团购装",
    ],
    "shuiguo": ["", "产地现摘", "精选大果", "礼盒装", "家庭装", "顺丰冷链", "助农直发", "中果"],
    "shucai": ["", "基地直供", "当日采摘", "有机种植", "净菜", "家庭装", "社区团购装", "冷链配送"],
    "qinroudan": ["", "农家自养", "冷链直达", "家庭装", "礼盒装", "散养", "年货礼盒", "团购装"],
    "chaye": ["", "特级", "一级", "礼盒装", "2026年新茶", "罐装", "口粮茶", "送礼佳品"],
    "ganhuo": ["", "特级", "家庭装", "礼盒装", "产地直发", "精选", "2026年新货", "量贩装"],
}
# ... and, only for benchmark-sized catalogues, a sourcing label and a base/plot label.
SOURCE_LABELS = [
    "",
    "2026年产",
    "2025年产",
    "产地直采",
    "农户自产",
    "县域好物",
    "助农专区",
    "源头直供",
    "基地认养",
    "老品种",
]
PLOT_LABELS = [
    "",
    "东坡基地",
    "西岭基地",
    "南湖基地",
    "北山基地",
    "一号地块",
    "二号地块",
    "三号地块",
]

PRICE_FACTORS = {
    "礼盒装": Decimal("1.30"),
    "年货礼盒": Decimal("1.35"),
    "送礼佳品": Decimal("1.35"),
    "有机种植": Decimal("1.60"),
    "特级": Decimal("1.25"),
    "精选大果": Decimal("1.20"),
    "家庭装": Decimal("0.92"),
    "家庭囤货装": Decimal("0.90"),
    "团购装": Decimal("0.88"),
    "社区团购装": Decimal("0.88"),
    "量贩装": Decimal("0.90"),
    "中果": Decimal("0.85"),
    "口粮茶": Decimal("0.80"),
}
VARIANT_NOTES = {
    "产地直发": "从产地仓直接发货，减少中转。",
    "礼盒装": "礼盒包装，适合走亲访友。",
    "年货礼盒": "年货礼盒，附手提袋。",
    "有机种植": "按有机标准种植，持有机产品认证。",
    "当季新货": "当季新货，随收随发。",
    "合作社直供": "由合作社统一分级、统一发货。",
    "顺丰冷链": "顺丰冷链配送，全程保鲜。",
    "冷链配送": "冷链配送，县内次日达。",
    "冷链直达": "冷链直达，到手仍是鲜品。",
    "当日采摘": "当日采摘当日发货。",
    "净菜": "已去根去黄叶，到家即可下锅。",
    "助农直发": "助农专区商品，收益直达农户。",
    "2026年新茶": "2026年春茶新品。",
    "2026年新货": "2026年新货上市。",
}
GRADE_WORDS = {"特级": "特级", "一级": "一级", "精选大果": "特级果", "中果": "二级果"}
CERT_WORDS = {"有机": Certification.ORGANIC}
STORAGE_NOTES = {
    Storage.AMBIENT: "常温避光、阴凉干燥处保存",
    Storage.CHILLED: "0–4℃冷藏保存，收到后请尽快食用",
    Storage.FROZEN: "-18℃冷冻保存，解冻后不宜再次冷冻",
}
WHOLESALE_TOPS = {"liangyou", "shuiguo", "shucai", "qinroudan"}


def _interleave(items: list[ItemSpec]) -> list[ItemSpec]:
    """Round-robin over top categories, so even a few demo products span the whole tree."""
    groups: dict[str, list[ItemSpec]] = defaultdict(list)
    for item in items:
        groups[TOP_OF_LEAF[item.leaf]].append(item)
    queues = [groups[top] for top, _name, _leaves in CATEGORY_TREE]
    out: list[ItemSpec] = []
    while any(queues):
        for queue in queues:
            if queue:
                out.append(queue.pop(0))
    return out


ORDERED_ITEMS = _interleave(ITEMS)


# --- Plans: what product number i looks like --------------------------------------------------


@dataclass(frozen=True)
class SkuPlan:
    spec: str
    retail_price: Decimal
    cost_price: Decimal
    weight_grams: int
    barcode: str
    stock: int
    sort_order: int
    min_wholesale_quantity: int
    tiers: tuple[tuple[int, Decimal], ...]

    def as_service_kwargs(self) -> dict:
        return {
            "spec": self.spec,
            "retail_price": self.retail_price,
            "cost_price": self.cost_price,
            "weight_grams": self.weight_grams,
            "barcode": self.barcode,
            "stock": self.stock,
            "sort_order": self.sort_order,
            "min_wholesale_quantity": self.min_wholesale_quantity,
            "tiers": [{"min_quantity": q, "unit_price": p} for q, p in self.tiers],
        }


@dataclass(frozen=True)
class ProductPlan:
    index: int
    item: ItemSpec
    variant: str
    title: str
    subtitle: str
    description: str
    grade: str
    certifications: list[str]
    sales_count: int
    published_hours_ago: int
    skus: tuple[SkuPlan, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.item.store, self.title)


def ean13(first12: str) -> str:
    """EAN-13 with its check digit (odd positions ×1, even ×3)."""
    if len(first12) != 12 or not first12.isdigit():
        raise ValueError("EAN-13 needs 12 digits before the check digit")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def _retail_price(base: Decimal, factor: Decimal, rng: random.Random) -> Decimal:
    """A shop-like price near base×factor: 39.90, 69.90, 169.00 ..."""
    raw = base * factor * Decimal(rng.randint(92, 108)) / 100
    if raw < 10:
        return to_money(max(raw.to_integral_value(), Decimal(1)) - Decimal("0.10"))
    if raw < 100:
        return to_money(int(raw)) + Decimal("0.90")
    return to_money(int(raw / 10) * 10 + rng.choice([8, 9]))


def _variant_pool(item: ItemSpec) -> list[str]:
    return [v for v in VARIANTS[TOP_OF_LEAF[item.leaf]] if not v or v not in item.title]


def title_parts(item: ItemSpec, variant_number: int) -> list[str]:
    """Mixed-radix variant number -> distinct suffix words (digit 0 of each pool = none)."""
    parts = []
    rest = variant_number
    for pool in (_variant_pool(item), SOURCE_LABELS, PLOT_LABELS):
        rest, digit = divmod(rest, len(pool))
        if pool[digit]:
            parts.append(pool[digit])
    if rest:
        parts.append(f"第{rest + 1}批")
    return parts


def product_title(index: int) -> tuple[ItemSpec, list[str]]:
    """Demo product number `index`: its item and the words appended to the item's title."""
    variant_number, position = divmod(index, len(ORDERED_ITEMS))
    item = ORDERED_ITEMS[position]
    return item, title_parts(item, variant_number)


def product_plan(index: int) -> ProductPlan:
    """Demo product number `index`: the same title, prices and SKUs on every run."""
    item, parts = product_title(index)
    variant_number, position = divmod(index, len(ORDERED_ITEMS))
    rng = random.Random(f"tianjian-demo-{index}")
    variant = parts[0] if parts and parts[0] in VARIANTS[TOP_OF_LEAF[item.leaf]] else ""
    title = " ".join([item.title, *parts])
    factor = PRICE_FACTORS.get(variant, Decimal("1.00"))

    certifications = list(item.certifications)
    for word, cert in CERT_WORDS.items():
        if word in title and cert not in certifications:
            certifications.append(cert)
    grade = GRADE_WORDS.get(variant, item.grade)
    subtitle = item.subtitle if not variant else f"{item.subtitle} | {variant}"

    store = STORE_BY_KEY[item.store]
    origin = division_name(item.origin) or ""
    lines = [item.description]
    if variant in VARIANT_NOTES:
        lines.append(VARIANT_NOTES[variant])
    lines += [
        "",
        f"【产地】{origin}",
        f"【储存】{STORAGE_NOTES[item.storage]}",
        f"【保质期】{item.shelf_life_days}天",
        f"【发货】{store.name}，{division_short_name(store.county_code)}发货",
    ]

    sku_count = rng.randint(1, len(item.skus))
    wholesale = TOP_OF_LEAF[item.leaf] in WHOLESALE_TOPS and rng.random() < 0.35
    skus = []
    for order, spec in enumerate(item.skus[:sku_count]):
        price = _retail_price(spec.price, factor, rng)
        tiers: tuple[tuple[int, Decimal], ...] = ()
        if wholesale and order == 0:
            tiers = (
                (10, to_money(price * Decimal("0.93"))),
                (50, to_money(price * Decimal("0.86"))),
            )
        skus.append(
            SkuPlan(
                spec=spec.spec,
                retail_price=price,
                cost_price=to_money(price * Decimal(rng.randint(55, 75)) / 100),
                weight_grams=spec.grams,
                barcode=ean13(f"69{index:08d}{order:02d}"),
                # Now and then a sold-out spec, never the one the product page opens on.
                stock=0 if rng.random() < 0.04 and order else rng.randint(20, 900),
                sort_order=order,
                min_wholesale_quantity=10 if tiers else 0,
                tiers=tiers,
            )
        )

    # Variants of an item (礼盒装, 家庭装 ...) sell less than the item itself and were listed
    # a month or more later, so the home page's best sellers and new arrivals never show two
    # of one item side by side; the newest are in ORDERED_ITEMS order, one top category after
    # another.
    roll = rng.random()
    if variant_number:
        sales = rng.randint(0, 199)
    elif roll < 0.2:
        sales = rng.randint(2000, 30000)
    else:
        sales = rng.randint(200, 2000)
    published_hours_ago = variant_number * 30 * 24 + position * 6 + rng.randint(0, 5)
    return ProductPlan(
        index=index,
        item=item,
        variant=variant,
        title=title,
        subtitle=subtitle[:200],
        description="\n".join(lines),
        grade=grade,
        certifications=certifications,
        sales_count=sales,
        published_hours_ago=published_hours_ago,
        skus=tuple(skus),
    )


# --- Pictures ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _font_path() -> str | None:
    return next((p for p in FONT_PATHS if Path(p).exists()), None)


@lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _font_path()
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _drawable(text: str) -> str:
    """Without a CJK font, draw pinyin instead of boxes."""
    if _font_path() or text.isascii():
        return text
    return " ".join(lazy_pinyin(text))


def _fit_font(draw: ImageDraw.ImageDraw, text: str, max_width: int, start: int):
    size = start
    while size > 16:
        font = _font(size)
        if draw.textlength(text, font=font) <= max_width:
            return font
        size -= 8
    return _font(16)


def _shade(colour: tuple[int, int, int], amount: int) -> tuple[int, int, int]:
    return tuple(max(0, min(255, c + amount)) for c in colour)  # type: ignore[return-value]


def product_card(*, name: str, lines: Iterable[str], colour, badge: str = "") -> bytes:
    """A square product picture: coloured card, big name, small lines, optional badge."""
    size = 640
    img = Image.new("RGB", (size, size), colour)
    draw = ImageDraw.Draw(img)
    draw.ellipse((size * 0.45, -size * 0.25, size * 1.3, size * 0.6), fill=_shade(colour, 28))
    draw.ellipse((-size * 0.3, size * 0.62, size * 0.45, size * 1.35), fill=_shade(colour, -22))
    text = _drawable(name)
    font = _fit_font(draw, text, int(size * 0.82), 120)
    draw.text((size / 2, size * 0.44), text, font=font, fill="white", anchor="mm")
    y = size * 0.62
    for line in lines:
        small = _drawable(line)
        draw.text(
            (size / 2, y),
            small,
            font=_fit_font(draw, small, int(size * 0.86), 34),
            fill=(255, 255, 240),
            anchor="mm",
        )
        y += 48
    draw.text((28, 24), _drawable("田间"), font=_font(30), fill=(255, 255, 255))
    if badge:
        label = _drawable(badge)
        draw.rounded_rectangle((size - 128, 20, size - 20, 72), radius=12, fill=(200, 30, 40))
        draw.text(
            (size - 74, 46), label, font=_fit_font(draw, label, 96, 30), fill="white", anchor="mm"
        )
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=88)
    return out.getvalue()


def store_banner(*, spec: StoreSpec) -> bytes:
    width, height = 1200, 320
    colour = (186, 40, 48) if spec.type == StoreType.SELF_OPERATED else (54, 120, 70)
    img = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(img)
    draw.ellipse((width * 0.7, -height * 0.8, width * 1.2, height * 1.1), fill=_shade(colour, 30))
    name = _drawable(spec.name)
    draw.text(
        (60, height * 0.42),
        name,
        font=_fit_font(draw, name, int(width * 0.8), 72),
        fill="white",
        anchor="lm",
    )
    place = _drawable(f"{division_name(spec.county_code)} · {StoreType(spec.type).label}")
    draw.text((62, height * 0.72), place, font=_font(32), fill=(255, 250, 230), anchor="lm")
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=88)
    return out.getvalue()


def _product_pictures(plan: ProductPlan) -> list[bytes]:
    item = plan.item
    colour = _shade(CARD_COLOURS[TOP_OF_LEAF[item.leaf]], (plan.index % 5) * 6 - 12)
    badge = "自营" if item.store == SELF_OPERATED else ""
    origin = division_short_name(item.origin) or ""
    first_line = f"{origin} · {plan.variant}" if plan.variant else f"产地 {origin}"
    pictures = [
        product_card(
            name=item.short, lines=[first_line, plan.skus[0].spec], colour=colour, badge=badge
        )
    ]
    if plan.index < len(ORDERED_ITEMS):
        # The base product of each item gets a second, "origin" picture for the gallery.
        pictures.append(
            product_card(
                name=origin or item.short,
                lines=[division_name(item.origin) or "", STORE_BY_KEY[item.store].name],
                colour=_shade(colour, -30),
            )
        )
    return pictures


# --- Accounts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    phone: str | None
    password: str
    name: str
    store: str | None = None
    is_platform_staff: bool = False
    is_superuser: bool = False


DEMO_ACCOUNTS = [
    DemoAccount("顾客", "shopper@tianjian.local", "+8613800000001", "shopper-2026", "王小田"),
    DemoAccount(
        "商家（五常稻米合作社店主）",
        "merchant1@tianjian.local",
        "+8613800000002",
        "merchant-2026",
        "金永哲",
        store="wuchang",
    ),
    DemoAccount(
        "商家（信丰脐橙农场店主）",
        "merchant2@tianjian.local",
        "+8613800000003",
        "merchant-2026",
        "刘桂生",
        store="xinfeng",
    ),
    DemoAccount(
        "平台运营",
        "ops@tianjian.local",
        "+8613800000004",
        "ops-2026",
        "平台运营小周",
        is_platform_staff=True,
    ),
    # Clerk of the demo county's community pickup points (added by orders.demo): /pickup/.
    DemoAccount("自提点店员", "pickup@tianjian.local", "+8613800000005", "pickup-2026", "孙丽"),
    DemoAccount(
        "超级管理员", "admin@tianjian.local", None, "admin-2026", "系统管理员", is_superuser=True
    ),
]


# --- Building -------------------------------------------------------------------------------


@dataclass
class SeedResult:
    categories_created: int = 0
    stores_created: int = 0
    users_created: int = 0
    products_created: int = 0
    images_created: int = 0
    products_total: int = 0
    seconds: float = 0.0


@transaction.atomic
def _categories_ensure(result: SeedResult) -> dict[str, Category]:
    by_slug = {c.slug: c for c in Category.objects.all()}
    for top_order, (slug, name, leaves) in enumerate(CATEGORY_TREE):
        parent = by_slug.get(slug)
        if parent is None:
            parent = Category.objects.create(name=name, slug=slug, sort_order=top_order)
            by_slug[slug] = parent
            result.categories_created += 1
        for order, (leaf_slug, leaf_name) in enumerate(leaves):
            if leaf_slug not in by_slug:
                by_slug[leaf_slug] = Category.objects.create(
                    name=leaf_name, slug=leaf_slug, parent=parent, sort_order=order
                )
                result.categories_created += 1
    return by_slug


def unified_credit_code(prefix: str, county_code: str, seed: str) -> str:
    """A well-formed 统一社会信用代码 (GB 32100: org code check + final check character)."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    rng = random.Random(seed)
    body8 = "".join(rng.choice("0123456789") for _ in range(8))
    org_total = sum(int(d) * w for d, w in zip(body8, [3, 7, 9, 10, 5, 8, 4, 2], strict=True))
    org_check = 11 - org_total % 11
    org = body8 + {10: "X", 11: "0"}.get(org_check, str(org_check))
    code17 = prefix + county_code + org
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(alphabet.index(c) * w for c, w in zip(code17, weights, strict=True))
    return code17 + alphabet[(31 - total % 31) % 31]


def food_permit_number(county_code: str, seed: str) -> str:
    """食品经营许可证号: JY + 1 (food seller) + county code + 7-digit serial."""
    return f"JY1{county_code}{random.Random(seed).randint(0, 10**7 - 1):07d}"


LICENCE_PREFIX = {
    StoreType.ENTERPRISE: "91",
    StoreType.SELF_OPERATED: "91",
    StoreType.COOPERATIVE: "93",
    StoreType.FAMILY_FARM: "92",
    StoreType.LARGE_GROWER: "92",
    StoreType.INDIVIDUAL: "92",
}


def _store_ensure(spec: StoreSpec, result: SeedResult) -> Store:
    """The platform opens its demo stores itself (like its own self-operated store), with the
    opening recorded as a StoreEvent; merchant sign-ups go through store applications instead."""
    store = Store.objects.filter(slug=spec.slug).first()
    if store is None:
        store = Store(
            name=spec.name,
            slug=spec.slug,
            type=spec.type,
            status=Store.Status.ACTIVE,
            description=spec.description,
            county_code=spec.county_code,
            county_name=division_name(spec.county_code) or "",
            township=spec.township,
            contact_name=spec.contact_name,
            contact_phone=spec.contact_phone,
            licence_number=unified_credit_code(
                LICENCE_PREFIX[spec.type], spec.county_code, spec.slug
            ),
            food_permit_number=food_permit_number(spec.county_code, spec.slug),
            is_featured=spec.is_featured,
        )
        if spec.type == StoreType.SELF_OPERATED:
            store.commission_rate = Decimal("0")  # the platform takes no commission from itself
        store.full_clean()
        with transaction.atomic():
            store.save()
            StoreEvent.objects.create(
                store=store,
                from_status="",
                to_status=store.status,
                actor=None,
                reason="演示数据：平台开设店铺",
            )
        result.stores_created += 1
    if not store.banner:
        clean, _size = image_clean(ContentFile(store_banner(spec=spec), name="banner.jpg"))
        store.banner.save(f"{spec.slug}.jpg", ContentFile(clean), save=False)
        store.save(update_fields=["banner"])
    return store


@transaction.atomic
def _accounts_ensure(stores: dict[str, Store], result: SeedResult) -> None:
    if not Group.objects.filter(name=PLATFORM_OPERATIONS).exists():
        roles_sync()
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(email=account.email).first()
        if user is None:
            phone = account.phone
            if phone and User.objects.filter(phone=phone).exists():
                phone = None  # someone already signed up with it; the e-mail log-in still works
            if account.is_superuser:
                user = User.objects.create_superuser(
                    account.email, account.password, name=account.name
                )
            else:
                user = user_create(
                    email=account.email, password=account.password, name=account.name
                )
            if phone:
                user_set_phone(user=user, phone=phone, verified=True)
            EmailAddress.objects.get_or_create(
                user=user, email=account.email, defaults={"verified": True, "primary": True}
            )
            result.users_created += 1
        if account.store:
            store_member_add(store=stores[account.store], user=user, role=StoreMember.Role.OWNER)
        if account.is_platform_staff:
            if not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
            user.groups.add(Group.objects.get(name=PLATFORM_OPERATIONS))


def _product_detailed(plan: ProductPlan, *, store: Store, category: Category, now) -> Product:
    item = plan.item
    product = Product(
        store=store,
        category=category,
        title=plan.title,
        subtitle=plan.subtitle,
        description=plan.description,
        origin_code=item.origin,
        shelf_life_days=item.shelf_life_days,
        storage=item.storage,
        grade=plan.grade,
        certifications=plan.certifications,
        status=Product.Status.ON_SALE,
        sales_count=plan.sales_count,
        published_at=now - timedelta(hours=plan.published_hours_ago),
    )
    return product_save(product=product, skus=[s.as_service_kwargs() for s in plan.skus])


def _pictures_add(product: Product, plan: ProductPlan) -> int:
    pictures = _product_pictures(plan)
    for order, picture in enumerate(pictures):
        product_image_add(
            product=product, upload=ContentFile(picture, name="card.jpg"), sort_order=order
        )
    return len(pictures)


def _image_pool(store_ids: list[int]) -> dict[str, list[ProductImage]]:
    """A few existing cover images per leaf category, for bulk products to share."""
    pool: dict[str, list[ProductImage]] = defaultdict(list)
    rows = (
        ProductImage.objects.filter(product__store_id__in=store_ids, sort_order=0)
        .exclude(thumbnail="")
        .select_related("product__category")
        .order_by("id")
    )
    for image in rows.iterator(chunk_size=2000):
        leaf = image.product.category.slug
        if len(pool[leaf]) < IMAGE_POOL_PER_CATEGORY:
            pool[leaf].append(image)
    return pool


def _pool_for(pool: dict[str, list[ProductImage]], leaf: str) -> list[ProductImage]:
    if pool.get(leaf):
        return pool[leaf]
    top = TOP_OF_LEAF[leaf]
    siblings = [img for slug, imgs in pool.items() if TOP_OF_LEAF.get(slug) == top for img in imgs]
    return siblings or [img for imgs in pool.values() for img in imgs]


def products_refresh_price_bulk(*, product_ids: list[int]) -> int:
    """Set price_min of many products from their cheapest active SKU in one UPDATE."""
    cheapest = (
        Sku.objects.filter(product=OuterRef("pk"), is_active=True)
        .order_by()
        .values("product")
        .annotate(price=Min("retail_price"))
        .values("price")
    )
    return Product.objects.filter(pk__in=product_ids).update(
        price_min=Coalesce(Subquery(cheapest), Value(Decimal("0.00")))
    )


def _bulk_batch(
    plans: list[ProductPlan],
    *,
    stores: dict[str, Store],
    categories: dict[str, Category],
    pool: dict[str, list[ProductImage]],
    now,
) -> int:
    """Insert a batch of products with SKUs, tiers and shared images (documented bulk path:
    price_min is set from the SKUs, published_at explicitly, and is_search_stale=True leaves
    the search document to products_reindex_stale)."""
    with transaction.atomic():
        products = Product.objects.bulk_create(
            [
                Product(
                    store=stores[plan.item.store],
                    category=categories[plan.item.leaf],
                    title=plan.title,
                    subtitle=plan.subtitle,
                    description=plan.description,
                    origin_code=plan.item.origin,
                    origin_name=division_short_name(plan.item.origin) or "",
                    shelf_life_days=plan.item.shelf_life_days,
                    storage=plan.item.storage,
                    grade=plan.grade,
                    certifications=plan.certifications,
                    status=Product.Status.ON_SALE,
                    sales_count=plan.sales_count,
                    published_at=now - timedelta(hours=plan.published_hours_ago),
                    is_search_stale=True,
                )
                for plan in plans
            ]
        )
        skus, sku_plans, images = [], [], []
        for product, plan in zip(products, plans, strict=True):
            for sku_plan in plan.skus:
                skus.append(
                    Sku(
                        product=product,
                        spec=sku_plan.spec,
                        retail_price=sku_plan.retail_price,
                        cost_price=sku_plan.cost_price,
                        weight_grams=sku_plan.weight_grams,
                        barcode=sku_plan.barcode,
                        stock=sku_plan.stock,
                        sort_order=sku_plan.sort_order,
                        min_wholesale_quantity=sku_plan.min_wholesale_quantity,
                    )
                )
                sku_plans.append(sku_plan)
            shared = _pool_for(pool, plan.item.leaf)
            if shared:
                source = shared[plan.index % len(shared)]
                images.append(
                    ProductImage(
                        product=product,
                        image=source.image.name,
                        thumbnail=source.thumbnail.name,
                        width=source.width,
                        height=source.height,
                    )
                )
        skus = Sku.objects.bulk_create(skus)
        WholesaleTier.objects.bulk_create(
            [
                WholesaleTier(sku=sku, min_quantity=quantity, unit_price=price)
                for sku, sku_plan in zip(skus, sku_plans, strict=True)
                for quantity, price in sku_plan.tiers
            ]
        )
        ProductImage.objects.bulk_create(images)
        products_refresh_price_bulk(product_ids=[p.pk for p in products])
    return len(products)


def _tables_analyze() -> None:
    """Fresh planner statistics after a bulk load. Until autovacuum catches up (or where it is
    off) PostgreSQL would plan searches over 10,000 products as if the tables were empty."""
    models = (Category, Store, Product, Sku, WholesaleTier, ProductImage)
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def demo_seed(
    *, products: int = DEFAULT_PRODUCTS, log: Callable[[str], None] | None = None
) -> SeedResult:
    """Build (or complete) the demo county with `products` demo products. Safe to re-run."""
    log = log or (lambda message: None)
    started = time.monotonic()
    result = SeedResult()
    now = timezone.now()

    categories = _categories_ensure(result)
    stores = {spec.key: _store_ensure(spec, result) for spec in STORES}
    _accounts_ensure(stores, result)
    log(f"分类 {len(categories)}，店铺 {len(stores)}，演示账号 {len(DEMO_ACCOUNTS)}")

    store_ids = [s.pk for s in stores.values()]
    key_of_store = {s.pk: key for key, s in stores.items()}
    existing: dict[tuple[str, str], int] = {
        (key_of_store[store_id], title): pk
        for pk, store_id, title in Product.objects.filter(store_id__in=store_ids).values_list(
            "pk", "store_id", "title"
        )
    }
    with_images = set(
        ProductImage.objects.filter(product_id__in=existing.values())
        .values_list("product_id", flat=True)
        .distinct()
    )

    detailed = min(products, DETAILED_PRODUCTS)
    for start in range(0, detailed, DETAILED_CHUNK):
        # One transaction per chunk: a commit per product would dominate the time on SQLite.
        with transaction.atomic():
            for index in range(start, min(start + DETAILED_CHUNK, detailed)):
                plan = product_plan(index)
                pk = existing.get(plan.key)
                if pk is None:
                    product = _product_detailed(
                        plan,
                        store=stores[plan.item.store],
                        category=categories[plan.item.leaf],
                        now=now,
                    )
                    existing[plan.key] = product.pk
                    result.products_created += 1
                elif pk in with_images:
                    continue
                else:
                    product = Product.objects.get(pk=pk)
                result.images_created += _pictures_add(product, plan)
        log(f"  逐个创建商品 {min(start + DETAILED_CHUNK, detailed)}/{detailed}")

    if products > detailed:
        pool = _image_pool(store_ids)
        batch: list[ProductPlan] = []
        for index in range(detailed, products):
            plan = product_plan(index)
            if plan.key in existing:
                continue
            batch.append(plan)
            if len(batch) >= BULK_BATCH:
                result.products_created += _bulk_batch(
                    batch, stores=stores, categories=categories, pool=pool, now=now
                )
                batch = []
                log(f"  批量写入商品 {result.products_created}")
        if batch:
            result.products_created += _bulk_batch(
                batch, stores=stores, categories=categories, pool=pool, now=now
            )
        reindexed = products_reindex_stale()
        log(f"  重建搜索文档 {reindexed}")

    if result.products_created:
        _tables_analyze()
    # Delivery methods, pickup points, ... of higher apps (they cannot be imported here).
    demo_seeded.send(sender=None, stores=stores, log=log)
    result.products_total = Product.objects.filter(store_id__in=store_ids).count()
    result.seconds = time.monotonic() - started
    return result
