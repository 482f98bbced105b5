"""`manage.py seed_demo`: the demo county, its accounts, images, search and idempotency.

The command runs with a small catalogue (24 products, the first 8 built one by one through
the services with their own pictures, the other 16 through the bulk path) to stay fast.
"""

import io
import itertools
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db.models import Max
from django.urls import reverse
from PIL import Image

from apps.accounts.models import User
from apps.catalog import demo
from apps.catalog.models import Category, Product, ProductImage, Sku, WholesaleTier
from apps.catalog.selectors import ProductFilters, product_list_for_storefront
from apps.core.roles import PLATFORM_OPERATIONS
from apps.stores.divisions import division_name, is_county_code
from apps.stores.models import Store, StoreEvent, StoreMember, StoreType
from apps.stores.selectors import store_ids_for_user, user_can_manage_all_stores

PRODUCTS = 24
DETAILED = 8
WUCHANG_RICE = "黑龙江五常稻花香大米 5kg"


@pytest.fixture
def seed(db, monkeypatch):
    monkeypatch.setattr(demo, "DETAILED_PRODUCTS", DETAILED)

    def run(products: int = PRODUCTS) -> str:
        out = io.StringIO()
        call_command("seed_demo", products=products, stdout=out)
        return out.getvalue()

    return run


def _is_ean13(code: str) -> bool:
    digits = [int(d) for d in code]
    return len(code) == 13 and sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0


def _snapshot() -> dict:
    media = Path(default_storage.location)
    return {
        "counts": {
            model.__name__: model.objects.count()
            for model in (
                Category,
                Store,
                StoreEvent,
                StoreMember,
                User,
                EmailAddress,
                Product,
                Sku,
                WholesaleTier,
                ProductImage,
            )
        },
        "product_updated": Product.objects.aggregate(m=Max("updated_at"))["m"],
        "sku_updated": Sku.objects.aggregate(m=Max("updated_at"))["m"],
        "store_updated": Store.objects.aggregate(m=Max("updated_at"))["m"],
        "passwords": sorted(User.objects.values_list("password", flat=True)),
        "files": sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()),
    }


def test_seed_builds_stores_and_two_level_category_tree(seed):
    seed()

    assert Store.objects.count() == len(demo.STORES) == 13
    own = Store.objects.get(type=StoreType.SELF_OPERATED)
    assert own.slug == "tianjian-ziying"
    assert own.is_self_operated
    assert own.status == Store.Status.ACTIVE
    assert default_storage.exists(own.banner.name)
    merchants = Store.objects.exclude(type=StoreType.SELF_OPERATED)
    assert merchants.count() == 12
    assert set(merchants.values_list("type", flat=True)) == {
        StoreType.COOPERATIVE,
        StoreType.FAMILY_FARM,
        StoreType.ENTERPRISE,
        StoreType.LARGE_GROWER,
    }
    for store in Store.objects.all():
        assert store.status == Store.Status.ACTIVE
        assert is_county_code(store.county_code), store.name
        assert store.county_name == division_name(store.county_code)
        assert store.banner
        assert len(store.licence_number) == 18
        assert StoreEvent.objects.filter(store=store, to_status=Store.Status.ACTIVE).count() == 1
    assert Store.objects.get(slug="wuchang-daohuaxiang").county_name == "黑龙江省哈尔滨市五常市"

    tops = list(Category.objects.filter(parent__isnull=True).order_by("sort_order"))
    assert [c.name for c in tops] == ["粮油米面", "新鲜水果", "蔬菜", "禽肉蛋", "茶叶", "干货特产"]
    for top in tops:
        assert 3 <= top.children.count() <= 5, top.name
    assert list(Category.objects.get(slug="liangyou").children.values_list("name", flat=True)) == [
        "大米",
        "面粉",
        "食用油",
        "杂粮",
        "挂面粉条",
    ]
    assert not Category.objects.filter(parent__parent__isnull=False).exists()


def test_seed_builds_sellable_products_with_derived_fields(seed):
    seed()

    products = list(Product.objects.prefetch_related("skus__wholesale_tiers"))
    assert len(products) == PRODUCTS
    assert len({(p.store_id, p.title) for p in products}) == PRODUCTS
    barcodes = []
    for product in products:
        skus = list(product.skus.all())
        assert 1 <= len(skus) <= 3, product.title
        assert product.status == Product.Status.ON_SALE
        assert product.published_at is not None
        assert product.price_min == min(s.retail_price for s in skus), product.title
        assert product.is_search_stale is False
        assert product.search_document
        assert is_county_code(product.origin_code)
        assert product.origin_name
        for sku in skus:
            assert sku.retail_price.as_tuple().exponent == -2
            assert _is_ean13(sku.barcode), sku.barcode
            barcodes.append(sku.barcode)
            for tier in sku.wholesale_tiers.all():
                assert tier.unit_price < sku.retail_price
    assert len(barcodes) == len(set(barcodes))
    assert WholesaleTier.objects.exists()
    # Chilled and frozen goods are stored as such.
    assert Product.objects.get(title__startswith="寿光散养土鸡蛋 30枚装").storage == "chilled"
    assert set(Product.objects.values_list("storage", flat=True)) == {"ambient", "chilled"}


def test_seed_creates_demo_accounts_for_each_role(seed, client):
    output = seed()

    for account in demo.DEMO_ACCOUNTS:
        assert account.email in output
        assert account.password in output
        assert client.login(email=account.email, password=account.password), account.email
        client.logout()

    shopper = User.objects.get(email="shopper@tianjian.local")
    assert shopper.phone == "+8613800000001"
    assert not shopper.is_staff
    assert store_ids_for_user(shopper) == []

    wuchang = Store.objects.get(slug="wuchang-daohuaxiang")
    xinfeng = Store.objects.get(slug="xinfeng-chengxiang")
    merchant1 = User.objects.get(email="merchant1@tianjian.local")
    merchant2 = User.objects.get(email="merchant2@tianjian.local")
    assert store_ids_for_user(merchant1) == [wuchang.pk]
    assert store_ids_for_user(merchant2) == [xinfeng.pk]
    assert StoreMember.objects.get(user=merchant1).role == StoreMember.Role.OWNER
    assert not user_can_manage_all_stores(merchant1)

    ops = User.objects.get(email="ops@tianjian.local")
    assert ops.is_staff
    assert not ops.is_superuser
    assert ops.groups.filter(name=PLATFORM_OPERATIONS).exists()
    assert Group.objects.get(name=PLATFORM_OPERATIONS).permissions.exists()
    assert user_can_manage_all_stores(ops)

    admin = User.objects.get(email="admin@tianjian.local")
    assert admin.is_superuser
    assert admin.is_staff


def test_seed_twice_changes_nothing(seed):
    seed()
    before = _snapshot()

    output = seed()

    assert _snapshot() == before
    assert before["counts"]["Product"] == PRODUCTS
    assert before["counts"]["User"] == len(demo.DEMO_ACCOUNTS)
    assert "商品 0" in output


def test_seed_grows_the_catalogue_without_touching_existing_products(seed):
    seed(products=16)
    first = dict(Product.objects.values_list("title", "updated_at"))

    seed(products=PRODUCTS)

    assert Product.objects.count() == PRODUCTS
    after = dict(Product.objects.values_list("title", "updated_at"))
    assert {title: after[title] for title in first} == first


def test_seed_stores_images_with_thumbnails(seed, settings):
    seed()

    assert not Product.objects.filter(images__isnull=True).exists()
    images = list(ProductImage.objects.all())
    for image in images:
        assert default_storage.exists(image.image.name)
        assert default_storage.exists(image.thumbnail.name)
    with default_storage.open(images[0].thumbnail.name) as f, Image.open(f) as thumb:
        assert thumb.size == tuple(settings.THUMBNAIL_SIZE)
    # Products built one by one have pictures of their own; bulk products share a small pool.
    detailed_images = [i for i in images if i.product_id in _detailed_ids()]
    assert len({i.image.name for i in detailed_images}) == len(detailed_images)
    assert len({i.image.name for i in images}) == len(detailed_images)


def _detailed_ids() -> set[int]:
    return set(Product.objects.order_by("pk").values_list("pk", flat=True)[:DETAILED])


def test_search_finds_seeded_wuchang_rice(seed, client):
    seed()

    for query in ["五常大米", "wuchang", "稻花香"]:
        titles = [p.title for p in product_list_for_storefront(ProductFilters(q=query))]
        assert WUCHANG_RICE in titles, query
    response = client.get(reverse("catalog:search"), {"q": "五常大米"})
    assert response.status_code == 200
    assert WUCHANG_RICE in response.content.decode()


@pytest.mark.postgres
def test_search_ranks_products_named_after_the_query_first(seed):
    # given: four seeded products in 大米; 东北珍珠米 is there by category, not by its title
    seed()

    titles = [p.title for p in product_list_for_storefront(ProductFilters(q="大米"))]

    assert len(titles) == 4
    assert all("大米" in title for title in titles[:3])
    assert titles[3].startswith("东北珍珠米")


def test_demo_data_uses_real_county_codes_and_known_stores():
    for item in demo.ITEMS:
        assert is_county_code(item.origin), item.title
        assert item.store in demo.STORE_BY_KEY, item.title
        assert item.leaf in demo.TOP_OF_LEAF, item.title
        assert 1 <= len(item.skus) <= 3, item.title
    for spec in demo.STORES:
        assert is_county_code(spec.county_code), spec.name
    assert {item.storage for item in demo.ITEMS} == {"ambient", "chilled", "frozen"}
    assert len(demo.ITEMS) * 3 >= demo.DEFAULT_PRODUCTS  # 300+ products need ≤ 3 variants each


def test_product_titles_stay_unique_at_benchmark_scale():
    keys = set()
    for index in range(12_000):
        item, parts = demo.product_title(index)
        keys.add((item.store, " ".join([item.title, *parts])))

    assert len(keys) == 12_000


def test_ean13_check_digit():
    assert demo.ean13("400638133393") == "4006381333931"
    assert demo.ean13("690000000000") == "6900000000007"


def _item_of(title: str) -> demo.ItemSpec:
    return max(
        (item for item in demo.ITEMS if title.startswith(item.title)), key=lambda i: len(i.title)
    )


def test_a_product_opens_on_the_size_its_title_names():
    checked = 0
    for index in range(3 * len(demo.ORDERED_ITEMS)):
        plan = demo.product_plan(index)
        sizes = [demo.SIZE.match(sku.spec) for sku in plan.item.skus]
        named = [m.group(0) for m in sizes if m and m.group(0) in plan.item.title]
        if named:
            checked += 1
            assert plan.skus[0].spec.startswith(named[0]), (plan.title, plan.skus[0].spec)
            assert plan.skus[0].stock > 0, plan.title
    assert checked > 50
    oranges = demo.product_plan(
        next(
            i
            for i, item in enumerate(demo.ORDERED_ITEMS)
            if item.title.startswith("赣南脐橙 10斤装")
        )
    )
    assert oranges.skus[0].spec == "10斤装 果径75-80mm"


@pytest.mark.parametrize("products", [24, 320, 1000])
def test_the_home_rows_never_show_two_of_one_item_side_by_side(products):
    plans = [demo.product_plan(index) for index in range(products)]
    newest = sorted(plans, key=lambda p: (p.published_hours_ago, -p.index))[:10]
    own = [p for p in plans if p.item.store == "ziying"]
    best_sellers = sorted(own, key=lambda p: (-p.sales_count, -p.index))[:10]

    for row in (newest, best_sellers):
        for left, right in itertools.pairwise(row):
            assert left.item != right.item, (left.title, right.title)
            assert left.item.short != right.item.short, (left.title, right.title)


def test_the_seeded_home_page_has_no_near_duplicates_side_by_side(seed, client):
    seed()

    response = client.get("/")

    for row in ("new_arrivals", "self_operated"):
        titles = [product.title for product in response.context[row]]
        assert titles
        for left, right in itertools.pairwise(titles):
            assert _item_of(left) != _item_of(right), (left, right)
    for product in Product.objects.filter(title__contains="10斤装").prefetch_related("skus"):
        first = min(product.skus.all(), key=lambda sku: (sku.sort_order, sku.pk))
        assert first.spec.startswith("10斤装"), (product.title, first.spec)
