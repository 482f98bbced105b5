import datetime as dt
import itertools
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from apps.analytics.models import Commodity, CommodityAlias, Market, PriceObservation
from apps.analytics.services.prices import prices_aggregate
from apps.analytics.services.sales import sales_aggregate
from apps.orders.services.cart import cart_add, cart_get_or_create
from apps.orders.services.checkout import order_place
from apps.orders.services.lifecycle import payment_order_mark_paid
from tests.factories import UserFactory
from tests.orders.conftest import make_address, make_sku
from tests.settlement import conftest as settlement_conftest

DATA = Path(__file__).parent / "data"
divisions = settlement_conftest.divisions  # the fixture, for these tests too


@pytest.fixture
def quote_setup(db):
    """Two markets and four vegetables, with the aliases the fixture files use."""
    markets = {
        "xinfadi": Market.objects.create(name="北京新发地", province="北京", county="丰台区"),
        "shouguang": Market.objects.create(
            name="寿光农产品物流园", province="山东", county="寿光市"
        ),
    }
    commodities = {}
    for name, aliases in (
        ("白菜", ["大白菜"]),
        ("土豆", ["马铃薯"]),
        ("西红柿", ["番茄"]),
        ("黄瓜", []),
    ):
        commodity = Commodity.objects.create(
            name=name, category_l1="蔬菜", category_l2="叶菜类" if name == "白菜" else "茄果类"
        )
        for alias in aliases:
            CommodityAlias.objects.create(commodity=commodity, alias=alias)
        commodities[name] = commodity
    return markets, commodities


# --- orders, through the real orders services ------------------------------------------------


SHANGHAI = ZoneInfo("Asia/Shanghai")
_keys = itertools.count(1)


def shanghai(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def buy(buyer, lines, *, paid_at: dt.datetime):
    """Paid orders of `buyer` for `lines` [(sku, quantity)], one per store; returns them."""
    cart = cart_get_or_create(user=buyer)
    for sku, quantity in lines:
        cart_add(cart=cart, sku_id=sku.pk, quantity=quantity)
    address = buyer.addresses.first() or make_address(buyer)
    payment_order = order_place(
        buyer=buyer, cart=cart, address=address, idempotency_key=f"analytics-{next(_keys):06d}"
    )
    payment_order_mark_paid(payment_order=payment_order, paid_at=paid_at)
    return list(payment_order.orders.order_by("store_id"))


# --- aggregated figures and quotes for the page and API tests --------------------------------


@pytest.fixture
def sold(store_a, store_b, shopper, merchant_a, merchant_b, divisions):
    """Today: store A sells 3 × 10 元 to the shopper; store B 2 × 70 元 to another buyer."""
    now = timezone.now() - dt.timedelta(minutes=1)
    sku_a = make_sku(store_a, price="10.00", title="五常大米")
    sku_b = make_sku(store_b, price="70.00", title="赣南脐橙")
    buy(shopper, [(sku_a, 3)], paid_at=now)
    buy(UserFactory(name="顾客小李"), [(sku_b, 2)], paid_at=now)
    sales_aggregate()
    return sku_a, sku_b


@pytest.fixture
def quotes(quote_setup):
    markets, commodities = quote_setup
    Commodity.objects.filter(pk=commodities["白菜"].pk).update(is_synthetic=True)
    Market.objects.filter(pk=markets["xinfadi"].pk).update(is_synthetic=True)
    day = timezone.localdate() - dt.timedelta(days=1)
    for back, value in ((1, "2.00"), (0, "2.50")):
        for name, factor in (("白菜", 1), ("土豆", -1)):
            price = Decimal(value) if factor > 0 else Decimal("5") - Decimal(value)
            PriceObservation.objects.create(
                market=markets["xinfadi"],
                commodity=commodities[name],
                date=day - dt.timedelta(days=back),
                low_price=price,
                avg_price=price,
                high_price=price,
                source_unit="元/公斤",
            )
    prices_aggregate()
    return commodities
