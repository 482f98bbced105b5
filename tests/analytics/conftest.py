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
