from enum import StrEnum


class OrderErrorCode(StrEnum):
    # Addresses and divisions
    UNKNOWN_DIVISION = "orders_unknown_division"
    DIVISION_MISMATCH = "orders_division_mismatch"
    ADDRESS_NOT_FOUND = "orders_address_not_found"
    TOO_MANY_ADDRESSES = "orders_too_many_addresses"
    # Freight
    NOT_DELIVERABLE = "orders_not_deliverable"
    # Delivery methods (county delivery, pickup points, cold chain)
    DELIVERY_INVALID = "orders_delivery_invalid"
    DELIVERY_METHOD_UNAVAILABLE = "orders_delivery_method_unavailable"
    OUTSIDE_DELIVERY_ZONE = "orders_outside_delivery_zone"
    DELIVERY_SLOT_REQUIRED = "orders_delivery_slot_required"
    PICKUP_POINT_REQUIRED = "orders_pickup_point_required"
    COLD_CHAIN_REQUIRED = "orders_cold_chain_required"
    # Cart
    SKU_NOT_FOUND = "orders_sku_not_found"
    NOT_SELLABLE = "orders_not_sellable"
    INVALID_QUANTITY = "orders_invalid_quantity"
    OUT_OF_STOCK = "out_of_stock"
    BELOW_MINIMUM = "orders_below_minimum"
    CART_FULL = "orders_cart_full"
    CART_EMPTY = "orders_cart_empty"
    CART_HAS_PROBLEMS = "orders_cart_has_problems"
    # Checkout
    IDEMPOTENCY_KEY_INVALID = "orders_idempotency_key_invalid"
    CREDIT_NOT_ALLOWED = "orders_credit_not_allowed"
    # Lifecycle
    INVALID_TRANSITION = "orders_invalid_transition"
    PAYMENT_ORDER_CANCELLED = "payment_order_cancelled"
    NOT_ALLOWED = "orders_not_allowed"
    INVALID_SHIP_QUANTITY = "orders_invalid_ship_quantity"
    INVALID_REFUND = "orders_invalid_refund"
