from decimal import Decimal

import pytest

from apps.core.errors import ApplicationError
from apps.orders.models import ShippingTemplate
from apps.orders.pricing import FreightLine, region_code_normalize
from apps.orders.selectors import freight_quote
from tests.orders.conftest import make_address

pytestmark = pytest.mark.django_db


def lines(*pairs, amount="10.00"):
    """(weight_grams, quantity) pairs, each line worth `amount`."""
    return [FreightLine(weight_grams=w, quantity=q, amount=Decimal(amount)) for w, q in pairs]


@pytest.fixture
def wuchang(shopper, divisions):
    return make_address(shopper)  # 黑龙江省哈尔滨市五常市


@pytest.fixture
def xinjiang(shopper, divisions):
    return make_address(shopper, county="650102", is_default=False)


def test_a_store_without_template_ships_free(store_a, wuchang):
    assert freight_quote(store=store_a, lines=lines((0, 5)), address=wuchang) == Decimal("0.00")


@pytest.mark.parametrize(
    ("quantity", "fee"), [(1, "6.00"), (2, "6.00"), (3, "8.00"), (4, "8.00"), (5, "10.00")]
)
def test_by_piece_first_and_extra(store_a, wuchang, quantity, fee):
    # 6 yuan for the first 2 pieces, 2 yuan for every further 2 (or part of 2)
    ShippingTemplate.objects.create(
        store=store_a,
        name="按件",
        basis="piece",
        first_unit=2,
        first_fee="6",
        extra_unit=2,
        extra_fee="2",
    )
    assert freight_quote(store=store_a, lines=lines((0, quantity)), address=wuchang) == Decimal(fee)


@pytest.mark.parametrize(
    ("grams", "fee"), [(500, "10.00"), (1000, "10.00"), (1001, "11.50"), (2500, "14.50")]
)
def test_by_weight_in_kg(store_a, wuchang, grams, fee):
    ShippingTemplate.objects.create(
        store=store_a,
        name="按重",
        basis="weight",
        first_unit=1,
        first_fee="10",
        extra_unit="0.5",
        extra_fee="1.5",
    )
    assert freight_quote(store=store_a, lines=lines((grams, 1)), address=wuchang) == Decimal(fee)


def test_weights_of_all_lines_add_up(store_a, wuchang):
    ShippingTemplate.objects.create(
        store=store_a,
        name="按重",
        basis="weight",
        first_unit=1,
        first_fee="10",
        extra_unit=1,
        extra_fee="5",
    )
    # 2 × 800 g + 1 × 1500 g = 3.1 kg → 10 + 3 × 5
    quote = freight_quote(store=store_a, lines=lines((800, 2), (1500, 1)), address=wuchang)
    assert quote == Decimal("25.00")


def test_region_rules_match_by_prefix_most_specific_wins(store_a, wuchang, xinjiang, shopper):
    template = ShippingTemplate.objects.create(
        store=store_a, name="默认", basis="piece", first_fee="5"
    )
    template.rules.create(region_codes=["230000"], first_fee="8")  # padded province code
    template.rules.create(region_codes=["230184"], first_fee="3")  # the county itself
    template.rules.create(region_codes=["65"], first_fee="20")
    beijing = make_address(shopper, county="110101", is_default=False)

    assert freight_quote(store=store_a, lines=lines((0, 1)), address=wuchang) == Decimal("3.00")
    assert freight_quote(store=store_a, lines=lines((0, 1)), address=xinjiang) == Decimal("20.00")
    assert freight_quote(store=store_a, lines=lines((0, 1)), address=beijing) == Decimal("5.00")


def test_free_shipping_threshold_on_goods_amount(store_a, wuchang):
    ShippingTemplate.objects.create(
        store=store_a, name="满99包邮", basis="piece", first_fee="8", free_threshold="99.00"
    )
    below = freight_quote(store=store_a, lines=lines((0, 1), amount="98.99"), address=wuchang)
    at = freight_quote(store=store_a, lines=lines((0, 1), amount="99.00"), address=wuchang)
    assert (below, at) == (Decimal("8.00"), Decimal("0.00"))


def test_excluded_region_raises_a_clear_message_even_above_the_free_threshold(
    store_a, xinjiang, wuchang
):
    template = ShippingTemplate.objects.create(
        store=store_a, name="默认", basis="piece", first_fee="8", free_threshold="1.00"
    )
    template.rules.create(region_codes=["65", "54"], is_excluded=True)

    with pytest.raises(ApplicationError) as exc:
        freight_quote(store=store_a, lines=lines((0, 1)), address=xinjiang)

    assert exc.value.code == "orders_not_deliverable"
    assert exc.value.message.startswith(
        f"「{store_a.name}」暂不配送到新疆维吾尔自治区乌鲁木齐市天山区"
    )
    assert freight_quote(store=store_a, lines=lines((0, 1)), address=wuchang) == Decimal("0.00")


def test_a_county_can_be_served_inside_an_excluded_province(store_a, xinjiang):
    template = ShippingTemplate.objects.create(store=store_a, name="默认", basis="piece")
    template.rules.create(region_codes=["65"], is_excluded=True)
    template.rules.create(region_codes=["650102"], first_fee="25")

    assert freight_quote(store=store_a, lines=lines((0, 1)), address=xinjiang) == Decimal("25.00")


def test_only_the_default_template_counts(store_a, wuchang):
    ShippingTemplate.objects.create(
        store=store_a, name="旧", basis="piece", first_fee="99", is_default=False
    )
    ShippingTemplate.objects.create(store=store_a, name="现行", basis="piece", first_fee="7")
    assert freight_quote(store=store_a, lines=lines((0, 1)), address=wuchang) == Decimal("7.00")


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [("110000", "11"), ("230100", "2301"), ("230184", "230184"), ("65", "65"), (" 36 ", "36")],
)
def test_region_code_normalize(raw, normalized):
    assert region_code_normalize(raw) == normalized
