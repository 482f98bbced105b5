"""The discount rules to the fen: amounts, thresholds after earlier discounts, stacking and
exclusivity, the best combination, and the allocation orders' pricing makes of the result."""

from decimal import Decimal

from apps.orders.pricing import LineInput, cart_totals, discounts_apply, lines_price
from apps.promotions.rules import (
    CouponTerms,
    FlashTerms,
    LineData,
    Offers,
    PromotionTerms,
    Tier,
    discount_plan,
)

D = Decimal


def line(key, store_id, amount, *, quantity=1, product_id=None, category_id=None, sku_id=None):
    amount = D(amount)
    return LineData(
        key=key,
        store_id=store_id,
        sku_id=sku_id or key,
        product_id=product_id or key,
        category_id=category_id,
        quantity=quantity,
        unit_price=amount / quantity,
        line_amount=amount,
    )


def coupon(uid, *, store_id=None, amount="10", threshold="0", **kw):
    return CouponTerms(
        user_coupon_id=uid,
        coupon_id=100 + uid,
        name=kw.pop("name", f"券{uid}"),
        store_id=store_id,
        kind=kw.pop("kind", "fixed"),
        amount=D(amount),
        threshold=D(threshold),
        **kw,
    )


def promotion(pid, *, store_id, tiers, kind="amount_off", **kw):
    return PromotionTerms(
        promotion_id=pid,
        name=f"活动{pid}",
        store_id=store_id,
        kind=kind,
        tiers=tuple(Tier(threshold=D(t), amount_off=D(a), percent_off=p) for t, a, p in tiers),
        **kw,
    )


def priced_through_orders(lines, plan):
    """What orders' pricing home makes of the plan: each line's discount and paid amount."""
    priced = lines_price(
        [
            LineInput(
                key=x.key,
                store_id=x.store_id,
                sku_id=x.sku_id,
                product_id=x.product_id,
                quantity=x.quantity,
                retail_price=x.unit_price,
            )
            for x in lines
        ],
        is_wholesale=False,
    )
    return discounts_apply(priced, plan.discounts)


def test_a_platform_coupon_spreads_over_stores_with_the_remainder_on_the_largest_line():
    # given 满99减10 and three lines of 33.33, 33.33 (store 1) and 33.34 (store 2)
    lines = [line(1, 1, "33.33"), line(2, 1, "33.33"), line(3, 2, "33.34")]
    offers = Offers(coupons=(coupon(1, amount="10", threshold="99"),))

    # when planned and priced
    plan = discount_plan(lines=lines, offers=offers)
    priced = priced_through_orders(lines, plan)
    totals = cart_totals(lines=priced, freights={1: D("5.00"), 2: D("0.00")})

    # then 3.33 + 3.33 + 3.34 = 10.00, platform-funded, and the store totals add up
    assert [(d.code, d.funder, d.amount) for d in plan.discounts] == [
        ("coupon:101", "platform", D("10"))
    ]
    assert [p.discount_amount for p in priced] == [D("3.33"), D("3.33"), D("3.34")]
    assert [p.paid_amount for p in priced] == [D("30.00"), D("30.00"), D("30.00")]
    assert (totals.store(1).total_amount, totals.store(2).total_amount) == (D("65.00"), D("30.00"))
    assert totals.total_amount == D("95.00")


def test_allocation_over_many_lines_of_many_stores_always_adds_up():
    # given 17 lines over 3 stores of awkward amounts, a store promotion on each and a platform
    # coupon of 33.33
    lines = [line(k, k % 3, f"{k * 7 + 0.13:.2f}") for k in range(1, 18)]
    offers = Offers(
        promotions=tuple(promotion(s, store_id=s, tiers=[("10", "3.17", 0)]) for s in (0, 1, 2)),
        coupons=(coupon(1, amount="33.33"),),
    )

    plan = discount_plan(lines=lines, offers=offers)
    priced = priced_through_orders(lines, plan)

    # then every discount lands to the fen and no line goes below zero
    assert plan.amount == D("3.17") * 3 + D("33.33")
    assert sum(p.discount_amount for p in priced) == plan.amount
    for code in {d.code for d in plan.discounts}:
        wanted = sum(d.amount for d in plan.discounts if d.code == code)
        got = sum(a.amount for p in priced for a in p.allocations if a.code == code)
        assert got == wanted
    assert all(p.paid_amount >= 0 for p in priced)


def test_a_platform_threshold_is_measured_after_the_store_discount():
    # given store 满100减15 on 60 + 50 and a platform 满99减10: 110 − 15 = 95 < 99
    lines = [line(1, 1, "60.00"), line(2, 1, "50.00")]
    offers = Offers(
        promotions=(promotion(7, store_id=1, tiers=[("100", "15", 0)]),),
        coupons=(coupon(1, threshold="99"),),
    )

    best = discount_plan(lines=lines, offers=offers)
    forced = discount_plan(lines=lines, offers=offers, chosen_coupon_ids=[1])

    # then only the store promotion applies; choosing the coupon says why it does not
    assert [(d.code, d.amount) for d in best.discounts] == [("promotion:7", D("15"))]
    assert [(d.code, d.amount) for d in forced.discounts] == [("promotion:7", D("15"))]
    assert len(forced.errors) == 1
    assert "还差 ¥4.00" in forced.errors[0]
    option = best.coupon_options[0]
    assert (option.is_usable, option.amount) == (False, D("0"))


def test_default_stacking_one_store_discount_plus_one_platform_coupon():
    # given a store promotion and a store coupon of store 1, and two platform coupons
    lines = [line(1, 1, "120.00"), line(2, 2, "80.00")]
    offers = Offers(
        promotions=(promotion(7, store_id=1, tiers=[("100", "15", 0)]),),
        coupons=(
            coupon(1, store_id=1, amount="20", threshold="100"),
            coupon(2, amount="10", threshold="50"),
            coupon(3, amount="25", threshold="150"),
        ),
    )

    plan = discount_plan(lines=lines, offers=offers)

    # then the best: store coupon 20 (beats the promotion's 15) + platform 25 (180 ≥ 150)
    assert [(d.code, d.funder, d.amount) for d in plan.discounts] == [
        ("coupon:101", "store:1", D("20")),
        ("coupon:103", "platform", D("25")),
    ]
    assert plan.amount_by_funder() == {"store:1": D("20"), "platform": D("25")}
    assert plan.user_coupon_ids == [1, 3]


def test_two_platform_coupons_cannot_be_chosen_together():
    lines = [line(1, 1, "200.00")]
    offers = Offers(coupons=(coupon(1), coupon(2)))

    plan = discount_plan(lines=lines, offers=offers, chosen_coupon_ids=[1, 2])

    assert [d.code for d in plan.discounts] == ["coupon:101"]
    assert plan.errors == ("「券2」不能与同类优惠券叠加使用。",)


def test_the_best_combination_may_be_an_exclusive_platform_coupon():
    # given store 满100减15 and an exclusive platform 满50减30 (no store discount beside it)
    lines = [line(1, 1, "110.00")]
    offers = Offers(
        promotions=(promotion(7, store_id=1, tiers=[("100", "15", 0)]),),
        coupons=(coupon(1, amount="30", threshold="50", is_exclusive=True),),
    )

    plan = discount_plan(lines=lines, offers=offers)
    without = discount_plan(lines=lines, offers=offers, chosen_coupon_ids=[])

    assert [(d.code, d.amount) for d in plan.discounts] == [("coupon:101", D("30"))]
    assert [(d.code, d.amount) for d in without.discounts] == [("promotion:7", D("15"))]


def test_an_exclusive_store_promotion_keeps_the_platform_coupon_off_its_lines():
    lines = [line(1, 1, "100.00"), line(2, 2, "40.00")]
    offers = Offers(
        promotions=(promotion(7, store_id=1, tiers=[("100", "20", 0)], is_exclusive=True),),
        coupons=(coupon(1, amount="5"),),
    )

    plan = discount_plan(lines=lines, offers=offers)

    assert [(d.code, d.amount, d.line_keys) for d in plan.discounts] == [
        ("promotion:7", D("20"), frozenset({1})),
        ("coupon:101", D("5"), frozenset({2})),
    ]


def test_tiers_and_percent_off_with_cap():
    lines = [line(1, 1, "250.00"), line(2, 2, "33.33")]
    offers = Offers(
        promotions=(
            promotion(7, store_id=1, tiers=[("100", "15", 0), ("200", "40", 0)]),
            promotion(8, store_id=2, kind="percent_off", tiers=[("30", "0", 15)]),
        ),
        coupons=(coupon(1, kind="percent", amount="0", percent_off=20, cap=D("25")),),
    )

    plan = discount_plan(lines=lines, offers=offers)

    # 满200减40; 15 % of 33.33 = 4.9995 → 4.99 (down); 20 % of 238.34 = 47.66, capped at 25
    assert [(d.code, d.amount) for d in plan.discounts] == [
        ("promotion:7", D("40")),
        ("promotion:8", D("4.99")),
        ("coupon:101", D("25")),
    ]


def test_scope_by_category_and_product():
    lines = [
        line(1, 1, "50.00", category_id=5, product_id=11),
        line(2, 1, "50.00", category_id=6, product_id=12),
    ]
    by_category = coupon(1, scope="categories", category_ids=frozenset({5}), threshold="50")
    by_product = coupon(2, scope="products", product_ids=frozenset({99}))

    plan = discount_plan(lines=lines, offers=Offers(coupons=(by_category, by_product)))

    assert [(d.code, d.line_keys) for d in plan.discounts] == [("coupon:101", frozenset({1}))]
    reasons = {o.terms.user_coupon_id: o.reason for o in plan.coupon_options}
    assert reasons[2] == "购物车中没有该券适用的商品"


def test_a_discount_never_makes_a_line_negative():
    lines = [line(1, 1, "30.00")]
    plan = discount_plan(lines=lines, offers=Offers(coupons=(coupon(1, amount="50"),)))
    priced = priced_through_orders(lines, plan)

    assert plan.amount == D("30.00")
    assert priced[0].paid_amount == D("0.00")


def test_a_flash_price_applies_first_and_only_to_the_pieces_left():
    # given 5 × 10.00 with a flash price 7.50 for 3 more pieces, and store 满40减5
    lines = [line(1, 1, "50.00", quantity=5)]
    offers = Offers(
        flash=(FlashTerms(flash_id=3, sku_id=1, store_id=1, price=D("7.50"), pieces_left=3),),
        promotions=(promotion(7, store_id=1, tiers=[("40", "5", 0)]),),
    )

    plan = discount_plan(lines=lines, offers=offers)

    # then 3 × 2.50 off, then 满40减5 on the 42.50 left
    assert [(d.code, d.funder, d.amount) for d in plan.discounts] == [
        ("flash:3", "store:1", D("7.50")),
        ("promotion:7", "store:1", D("5")),
    ]
    assert plan.flash_uses == [(3, 3)]
