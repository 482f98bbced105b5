"""What each platform role may do with orders' models (collected by apps.core.roles)."""

from apps.core.roles import MERCHANT, PLATFORM_OPERATIONS, permission_grant

# Orders are read-only in the admin except shipping (change, through the 发货 form); freight
# templates, delivery methods, county zones and time slots are the store's own.
_STORE_ORDERS = [
    "orders.view_order",
    "orders.change_order",
    *permission_grant("orders", ["shippingtemplate", "shippingrule"]),
    *permission_grant("orders", ["deliveryoption", "deliveryzone", "deliveryslot"]),
    "orders.view_division",
]

GRANTS = {
    MERCHANT: _STORE_ORDERS,
    PLATFORM_OPERATIONS: [
        *_STORE_ORDERS,
        "orders.view_paymentorder",
        # Community pickup points (partner shops) and their clerks are the platform's.
        *permission_grant("orders", ["pickuppoint"]),
    ],
}
