"""The synthetic quote generator: labelled synthetic, seeded, calibrated, replaces itself only."""

import statistics
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Avg, Count

from apps.analytics.models import Market, PriceObservation
from apps.analytics.services.synthetic import SYNTHETIC_SUFFIX, market_prices_seed

pytestmark = pytest.mark.postgres


def test_quotes_are_labelled_synthetic_and_the_same_seed_gives_the_same_rows(db):
    # when
    count = market_prices_seed(days=60, markets=2, commodities=3, seed=7)
    first = list(
        PriceObservation.objects.order_by("market__name", "commodity__name", "date").values_list(
            "date", "avg_price"
        )
    )
    again = market_prices_seed(days=60, markets=2, commodities=3, seed=7)

    # then
    assert count == again == PriceObservation.objects.count()
    assert 60 * 2 * 3 * 0.9 < count <= 60 * 2 * 3  # about 3 % of days have no quote
    assert not PriceObservation.objects.filter(is_synthetic=False).exists()
    assert all(m.name.endswith(SYNTHETIC_SUFFIX) and m.is_synthetic for m in Market.objects.all())
    assert first == list(
        PriceObservation.objects.order_by("market__name", "commodity__name", "date").values_list(
            "date", "avg_price"
        )
    )


def test_a_year_of_the_28_vegetables_averages_4_to_6_yuan_per_kilogram(db):
    market_prices_seed(days=365, markets=3, commodities=28, seed=1)

    per_commodity = PriceObservation.objects.values("commodity").annotate(avg=Avg("avg_price"))
    mean = statistics.mean(row["avg"] for row in per_commodity)

    assert len(per_commodity) == 28
    assert Decimal(4) <= mean <= Decimal(6)
    ordered = PriceObservation.objects.filter(low_price__lte=0).aggregate(n=Count("id"))["n"]
    assert ordered == 0


def test_imported_quotes_survive_a_reseed(quote_setup, capsys):
    markets, commodities = quote_setup
    PriceObservation.objects.create(
        market=markets["xinfadi"],
        commodity=commodities["土豆"],
        date="2024-03-01",
        low_price=Decimal(1),
        avg_price=Decimal(2),
        high_price=Decimal(3),
        source_unit="元/公斤",
    )

    call_command("seed_market_prices", "--days", "10", "--markets", "1", "--commodities", "2")

    assert "synthetic quotes written (seed 42)" in capsys.readouterr().out
    assert PriceObservation.objects.filter(is_synthetic=False).count() == 1
