"""Price alerts of the price job: spikes at |z30| ≥ 3 and 旬 changes past the editable
thresholds of DOMAIN.md, the most specific threshold winning."""

import datetime as dt
from decimal import Decimal

import pytest

from apps.analytics.models import AlertThreshold, PriceAlert
from apps.analytics.services.prices import prices_aggregate
from tests.analytics.test_prices_job import quote

pytestmark = pytest.mark.postgres

D = dt.date(2024, 3, 1)


def test_a_spike_past_three_standard_deviations_raises_an_alert(quote_setup):
    # given: 29 days at 10 元 then 20 元 (z ≈ 5.29); a 30-day quiet series for 白菜
    markets, commodities = quote_setup
    for i in range(30):
        quote(
            markets["xinfadi"], commodities["土豆"], D + dt.timedelta(days=i), 10 if i < 29 else 20
        )
        quote(markets["xinfadi"], commodities["白菜"], D + dt.timedelta(days=i), 2 + (i % 2) / 10)

    # when
    prices_aggregate()

    # then: one spike per scope of 新发地 (market, county, province, nation), none for 白菜
    spikes = PriceAlert.objects.filter(kind=PriceAlert.Kind.SPIKE)
    assert sorted(spikes.values_list("scope", flat=True)) == [
        "county",
        "market",
        "national",
        "province",
    ]
    national = spikes.get(scope="national")
    assert (national.commodity, national.date) == (commodities["土豆"], D + dt.timedelta(days=29))
    assert (national.level, national.value, national.price) == (
        "red",
        Decimal("5.2947"),
        Decimal("20.00"),
    )


def _xun_series(markets, commodity):
    # 上旬 10.00, 中旬 11.20 (+12 %), 下旬 11.30 (+0.9 %)
    for day, value in ((5, "10.00"), (15, "11.20"), (25, "11.30")):
        quote(markets["xinfadi"], commodity, D.replace(day=day), value)


def test_a_xun_change_past_the_vegetable_yellow_threshold_is_yellow(quote_setup):
    markets, commodities = quote_setup
    _xun_series(markets, commodities["土豆"])

    prices_aggregate()

    xun = PriceAlert.objects.get(kind=PriceAlert.Kind.XUN, scope="national")
    assert (xun.date, xun.level, xun.value) == (D.replace(day=11), "yellow", Decimal("0.1200"))
    assert not PriceAlert.objects.filter(kind="xun", date=D.replace(day=21)).exists()


def test_a_commodity_threshold_wins_over_its_category(quote_setup):
    # given: 土豆 tolerates 20 / 30 % although vegetables warn at 10 %
    markets, commodities = quote_setup
    AlertThreshold.objects.create(match="土豆", yellow_pct=Decimal(20), red_pct=Decimal(30))
    _xun_series(markets, commodities["土豆"])
    _xun_series(markets, commodities["白菜"])

    prices_aggregate()

    assert set(PriceAlert.objects.values_list("commodity__name", flat=True)) == {"白菜"}


def test_a_red_xun_change_and_rebuilds_replace_alerts(quote_setup):
    markets, commodities = quote_setup
    quote(markets["xinfadi"], commodities["白菜"], D.replace(day=5), "1.00")
    quote(markets["xinfadi"], commodities["白菜"], D.replace(day=15), "0.80")  # −20 %

    prices_aggregate()
    prices_aggregate(full=True)

    xun = PriceAlert.objects.get(kind="xun", scope="national")
    assert (xun.level, xun.value) == ("red", Decimal("-0.2000"))
    assert PriceAlert.objects.filter(kind="xun").count() == 4
