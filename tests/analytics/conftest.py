from pathlib import Path

import pytest

from apps.analytics.models import Commodity, CommodityAlias, Market

DATA = Path(__file__).parent / "data"


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

import datetime as dt  # noqa: E402
import itertools  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from apps.orders.services.cart import cart_add, cart_get_or_create  # noqa: E402
from apps.orders.services.checkout import order_place  # noqa: E402
from apps.orders.services.lifecycle import payment_order_mark_paid  # noqa: E402
from tests.orders.conftest import make_address  # noqa: E402
from tests.settlement.conftest import divisions  # noqa: E402, F401

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
