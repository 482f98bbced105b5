"""Pricing: the one home of every computation that makes a price in orders.

The cart page, the checkout preview (page and API) and the checkout itself all price through
these functions, so they agree to the fen. They are pure: plain values in (dataclasses, Decimal
money, rows already loaded by `apps.orders.selectors`), values out; no query, no write.

The steps, in order (each a function here; the caller loads the data through selectors):

1. lines     `lines_price(lines, is_wholesale=...)`: unit price (retail, or the wholesale tier
             the quantity reaches for a verified buyer) and line amount.
2. discounts `discounts_apply(priced_lines, discounts)`: each discount spread over its lines
             by `allocate` (pro rata, remainder on the largest line, never below zero) and
             kept per line with its funder. The promotions app supplies the discounts; today
             there are none and this step is the identity.
3. delivery  per store, `delivery_quote(setup=..., lines=freight_lines(...), ...)` (the
             method's fee: freight template for express, zone for county delivery, flat fee
             for pickup) and `delivery_offers(...)` for the preview.
3½. freight  `freight_waive(freights, waiver)`: a free-shipping coupon (promotions'
             `ShippingWaiver`, one per checkout) waives its stores' freight, up to its cap,
             never below zero; `cart_totals` calls it.
4. totals    `cart_totals(lines=..., freights={store id: fee}, freight_discount=waiver)`:
             per store goods − discount + freight − freight waived = total; the payment
             order's amount is the sum.
"""

from apps.orders.pricing.delivery import (
    DeliveryChoice,
    DeliveryOffer,
    DeliveryQuote,
    DeliverySetup,
    SlotOffer,
    cold_chain_titles,
    delivery_choice_default,
    delivery_date_for_slot,
    delivery_method_chosen,
    delivery_method_fee,
    delivery_offers,
    delivery_quote,
    delivery_zone_for,
    options_in_display_order,
)
from apps.orders.pricing.discounts import Discount, DiscountLike, allocate, discounts_apply
from apps.orders.pricing.freight import (
    Destination,
    FreightLine,
    FreightRates,
    FreightRule,
    FreightTemplate,
    freight_fee,
    region_code_normalize,
)
from apps.orders.pricing.lines import (
    ZERO,
    Allocation,
    LineInput,
    PricedLine,
    PriceTier,
    line_amount,
    line_price,
    lines_price,
    unit_price,
)
from apps.orders.pricing.totals import (
    FreightDiscountLike,
    PricedCart,
    StoreTotals,
    cart_totals,
    freight_lines,
    freight_waive,
)

__all__ = [
    "ZERO",
    "Allocation",
    "DeliveryChoice",
    "DeliveryOffer",
    "DeliveryQuote",
    "DeliverySetup",
    "Destination",
    "Discount",
    "DiscountLike",
    "FreightDiscountLike",
    "FreightLine",
    "FreightRates",
    "FreightRule",
    "FreightTemplate",
    "LineInput",
    "PriceTier",
    "PricedCart",
    "PricedLine",
    "SlotOffer",
    "StoreTotals",
    "allocate",
    "cart_totals",
    "cold_chain_titles",
    "delivery_choice_default",
    "delivery_date_for_slot",
    "delivery_method_chosen",
    "delivery_method_fee",
    "delivery_offers",
    "delivery_quote",
    "delivery_zone_for",
    "discounts_apply",
    "freight_fee",
    "freight_lines",
    "freight_waive",
    "line_amount",
    "line_price",
    "lines_price",
    "options_in_display_order",
    "region_code_normalize",
    "unit_price",
]
