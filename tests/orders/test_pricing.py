"""The pricing home's pure functions: no database, plain values in and out."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest

from apps.catalog.models import Product, Sku
from apps.core.errors import ApplicationError
from apps.orders.errors import OrderErrorCode
from apps.orders.pricing import (
    Destination,
    Discount,
    FreightLine,
    FreightRates,
    FreightRule,
    FreightTemplate,
    LineInput,
    PriceTier,
    allocate,
    cart_totals,
    discounts_apply,
    freight_fee,
    lines_price,
    unit_price,
)
from apps.orders.rules import MAX_LINE_QUANTITY, sku_problem
from apps.stores.models import Store


def money(*values: str) -> list[Decimal]:
    return [Decimal(v) for v in values]


# --- Allocation -----------------------------------------------------------------------------


def test_allocation_is_pro_rata_when_it_divides_exactly():
    assert allocate(amount=Decimal("10.00"), weights=money("60.00", "40.00")) == money(
        "6.00", "4.00"
    )


def test_allocation_puts_the_rounding_remainder_on_the_largest_line():
    # 10.00 over three equal-ish lines: 3.33 each by rounding down, the fen left goes to the
    # largest line (the second), and the shares add up to 10.00 exactly.
    shares = allocate(amount=Decimal("10.00"), weights=money("30.00", "30.01", "30.00"))

    assert shares == money("3.33", "3.34", "3.33")
    assert sum(shares) == Decimal("10.00")


def test_allocation_ties_for_largest_go_to_the_first_of_them():
    assert allocate(amount=Decimal("0.02"), weights=money("1.00", "5.00", "5.00")) == money(
        "0.00", "0.02", "0.00"
    )
    assert allocate(amount=Decimal("0.01"), weights=money("5.00", "5.00")) == money("0.01", "0.00")


def test_allocation_never_takes_a_line_below_zero_the_rest_moves_to_the_next_largest():
    # 3.96 over 1.00 + 3 × 0.99: rounding down leaves 0.03, more than the largest line has
    # room for (it already takes 0.99 of its 1.00).
    weights = money("1.00", "0.99", "0.99", "0.99")

    shares = allocate(amount=Decimal("3.96"), weights=weights)

    assert sum(shares) == Decimal("3.96")
    assert all(Decimal(0) <= s <= w for s, w in zip(shares, weights, strict=True))
    assert shares == money("1.00", "0.99", "0.99", "0.98")


def test_allocation_is_capped_at_what_the_lines_cost():
    assert allocate(amount=Decimal("50.00"), weights=money("12.30", "7.70")) == money(
        "12.30", "7.70"
    )


@pytest.mark.parametrize(
    ("amount", "weights"),
    [("0.00", ["5.00"]), ("-1.00", ["5.00"]), ("3.00", ["0.00", "0.00"]), ("3.00", [])],
)
def test_allocation_of_nothing_or_onto_nothing_is_all_zero(amount, weights):
    assert allocate(amount=Decimal(amount), weights=money(*weights)) == [Decimal("0.00")] * len(
        weights
    )


# --- Unit prices and wholesale tiers ----------------------------------------------------------

TIERS = (PriceTier(10, Decimal("55.00")), PriceTier(50, Decimal("50.00")))


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [(1, "59.90"), (9, "59.90"), (10, "55.00"), (49, "55.00"), (50, "50.00")],
)
def test_a_wholesale_buyer_pays_the_tier_the_quantity_reaches(quantity, expected):
    price = unit_price(
        retail_price=Decimal("59.90"), tiers=TIERS, quantity=quantity, is_wholesale=True
    )
    assert price == Decimal(expected)


def test_a_retail_shopper_pays_retail_whatever_the_quantity():
    price = unit_price(retail_price=Decimal("59.90"), tiers=TIERS, quantity=500, is_wholesale=False)
    assert price == Decimal("59.90")


def test_a_tier_dearer_than_retail_never_applies():
    tiers = (PriceTier(5, Decimal("70.00")),)
    price = unit_price(retail_price=Decimal("59.90"), tiers=tiers, quantity=5, is_wholesale=True)
    assert price == Decimal("59.90")


def line(key: int, store_id: int, price: str, quantity: int, **extra) -> LineInput:
    return LineInput(
        key=key,
        store_id=store_id,
        sku_id=100 + key,
        product_id=200 + key,
        quantity=quantity,
        retail_price=Decimal(price),
        **extra,
    )


def test_line_amounts_are_unit_price_times_quantity():
    priced = lines_price(
        [line(1, 1, "19.99", 3), line(2, 1, "59.90", 12, tiers=TIERS)], is_wholesale=True
    )

    assert [(p.unit_price, p.line_amount, p.paid_amount) for p in priced] == [
        (Decimal("19.99"), Decimal("59.97"), Decimal("59.97")),
        (Decimal("55.00"), Decimal("660.00"), Decimal("660.00")),
    ]


# --- Discounts and totals ---------------------------------------------------------------------


def test_without_discounts_the_discount_step_is_the_identity():
    priced = lines_price([line(1, 1, "10.00", 1), line(2, 2, "5.00", 2)], is_wholesale=False)

    assert discounts_apply(priced, ()) == priced


def test_a_discount_is_spread_over_its_lines_and_totals_stay_exact():
    # given two stores' lines and a platform coupon of 10.00 on everything plus a store
    # promotion of 3.00 on store 2's lines
    priced = lines_price(
        [line(1, 1, "33.33", 1), line(2, 1, "16.67", 1), line(3, 2, "25.00", 2)],
        is_wholesale=False,
    )
    discounts = [
        Discount(
            code="promotion:7", funder="store:2", amount=Decimal("3.00"), line_keys=frozenset({3})
        ),
        Discount(code="coupon:42", funder="platform", amount=Decimal("10.00")),
    ]

    # when applied, then totalled with freight
    lines = discounts_apply(priced, discounts)
    cart = cart_totals(lines=lines, freights={1: Decimal("8.00"), 2: None})

    # then store 2's line carries both discounts, the coupon is pro rata over what was left
    # payable (33.33 / 16.67 / 47.00 of 97.00), remainder on the largest line
    assert [(p.discount_amount, p.paid_amount) for p in lines] == [
        (Decimal("3.43"), Decimal("29.90")),
        (Decimal("1.71"), Decimal("14.96")),
        (Decimal("7.86"), Decimal("42.14")),
    ]
    assert [a.funder for a in lines[2].allocations] == ["store:2", "platform"]
    assert sum(a.amount for p in lines for a in p.allocations if a.code == "coupon:42") == Decimal(
        "10.00"
    )
    assert [cart.store(1).goods_amount, cart.store(1).discount_amount] == money("50.00", "5.14")
    assert cart.store(1).total_amount == Decimal("52.86")  # 50.00 − 5.14 + 8.00
    assert cart.store(2).total_amount == Decimal("42.14")  # freight not quoted: 0
    assert [cart.goods_amount, cart.discount_amount, cart.freight_amount] == money(
        "100.00", "13.00", "8.00"
    )
    assert cart.total_amount == Decimal("95.00")


def test_a_store_with_a_fee_and_no_priced_lines_still_gets_totals():
    cart = cart_totals(lines=[], freights={5: Decimal("6.00")})

    assert cart.store(5).total_amount == Decimal("6.00")
    assert cart.store(6).total_amount == Decimal("0.00")


# --- Freight ----------------------------------------------------------------------------------


def rates(first_fee: str, extra_fee: str = "0", first_unit: str = "1", extra_unit: str = "1"):
    return FreightRates(
        first_unit=Decimal(first_unit),
        first_fee=Decimal(first_fee),
        extra_unit=Decimal(extra_unit),
        extra_fee=Decimal(extra_fee),
    )


WUCHANG = Destination(region_code="230184100", region_text="黑龙江省哈尔滨市五常市")
URUMQI = Destination(region_code="650102", region_text="新疆维吾尔自治区乌鲁木齐市天山区")


def fee(template, lines, destination=WUCHANG) -> Decimal:
    return freight_fee(template=template, lines=lines, destination=destination, store_name="店")


def test_no_template_ships_free():
    assert fee(None, [FreightLine(0, 5, Decimal("10.00"))]) == Decimal("0.00")


@pytest.mark.parametrize(("pieces", "expected"), [(2, "6.00"), (3, "8.00"), (5, "10.00")])
def test_freight_by_piece(pieces, expected):
    template = FreightTemplate(basis="piece", rates=rates("6", "2", first_unit="2", extra_unit="2"))
    assert fee(template, [FreightLine(0, pieces, Decimal("1.00"))]) == Decimal(expected)


def test_freight_by_weight_adds_every_line_and_rounds_steps_up():
    # 2 × 800 g + 1500 g = 3.1 kg: 10 for the first kg, 1.5 per further half kg (5 steps)
    template = FreightTemplate(basis="weight", rates=rates("10", "1.5", extra_unit="0.5"))
    lines = [FreightLine(800, 2, Decimal("1.00")), FreightLine(1500, 1, Decimal("1.00"))]
    assert fee(template, lines) == Decimal("17.50")


def test_the_most_specific_region_rule_wins_and_an_excluded_region_is_refused():
    template = FreightTemplate(
        basis="piece",
        rates=rates("5"),
        free_threshold=Decimal("1.00"),
        rules=(
            FreightRule(region_codes=("230000",), rates=rates("8")),
            FreightRule(region_codes=("230184",), rates=rates("3")),
            FreightRule(region_codes=("65",), rates=rates("0"), is_excluded=True),
        ),
    )
    cheap = [FreightLine(0, 1, Decimal("0.50"))]

    assert fee(template, cheap) == Decimal("3.00")
    with pytest.raises(ApplicationError) as refused:
        fee(template, [FreightLine(0, 1, Decimal("99.00"))], URUMQI)  # even above free
    assert refused.value.code == OrderErrorCode.NOT_DELIVERABLE
    assert refused.value.message.startswith("「店」暂不配送到新疆维吾尔自治区乌鲁木齐市天山区")


def test_free_shipping_from_the_threshold_on_the_goods_amount():
    template = FreightTemplate(basis="piece", rates=rates("8"), free_threshold=Decimal("99.00"))

    below = fee(template, [FreightLine(0, 1, Decimal("98.99"))])
    at = fee(template, [FreightLine(0, 1, Decimal("50.00")), FreightLine(0, 1, Decimal("49.00"))])

    assert [below, at] == money("8.00", "0.00")


# --- Can this SKU be sold (a code and a message) ----------------------------------------------


def sku(*, store_status="active", product_status="on_sale", is_active=True, stock=10, **extra):
    store = Store(name="店", status=store_status)
    product = Product(store=store, title="大米", status=product_status)
    return Sku(product=product, spec="5kg", is_active=is_active, stock=stock, reserved=0, **extra)


@pytest.mark.parametrize(
    ("kwargs", "code", "message"),
    [
        ({"lot_blocked": True}, OrderErrorCode.NOT_SELLABLE, "该商品批次已召回或暂停销售"),
        ({"store_status": "suspended"}, OrderErrorCode.NOT_SELLABLE, "店铺暂停营业"),
        ({"product_status": "off_sale"}, OrderErrorCode.NOT_SELLABLE, "商品已下架"),
        ({"is_active": False}, OrderErrorCode.NOT_SELLABLE, "该规格已停售"),
        ({"is_held": True}, OrderErrorCode.NOT_SELLABLE, "该批次已召回，暂停销售"),
        ({"stock": 0}, OrderErrorCode.OUT_OF_STOCK, "已售罄"),
        ({"quantity": 11}, OrderErrorCode.OUT_OF_STOCK, "库存不足，仅剩 10 件"),
        ({"min_quantity": 5}, OrderErrorCode.BELOW_MINIMUM, "批发起订量为 5 件"),
    ],
)
def test_sku_problem_gives_a_code_and_a_message(kwargs, code, message):
    quantity = kwargs.pop("quantity", 2)
    min_quantity = kwargs.pop("min_quantity", 1)
    lot_blocked = kwargs.pop("lot_blocked", False)

    problem = sku_problem(
        sku=sku(**kwargs), quantity=quantity, min_quantity=min_quantity, lot_blocked=lot_blocked
    )

    assert (problem.code, problem.message) == (code, message)
    assert problem.is_stock_only == (code == OrderErrorCode.OUT_OF_STOCK)
    assert problem.about(sku()) == f"「大米 5kg」{message}"


def test_sku_problem_is_none_when_it_can_be_sold():
    assert sku_problem(sku=sku(stock=MAX_LINE_QUANTITY), quantity=MAX_LINE_QUANTITY) is None


# --- The home stays pure ------------------------------------------------------------------------

ORDERS = Path(__file__).resolve().parents[2] / "apps" / "orders"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }


@pytest.mark.parametrize("path", sorted((ORDERS / "pricing").glob("*.py")), ids=lambda p: p.name)
def test_pricing_modules_neither_query_nor_import_services(path):
    tree = ast.parse(path.read_text())
    touches_orm = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in {"objects", "save", "delete", "update", "select_for_update", "all"}
    ]
    assert touches_orm == []
    assert not any(
        ".services" in module or module.endswith(".selectors") for module in _imports(path)
    )


def test_orders_selectors_import_no_services_module():
    assert not any(".services" in module for module in _imports(ORDERS / "selectors.py"))
