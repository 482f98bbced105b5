"""What each platform role may do with promotions' models (collected by apps.core.roles)."""

from apps.core.roles import MERCHANT, PLATFORM_OPERATIONS, permission_grant

# Merchants run their own store's coupons, spend-and-save and limited-time prices (the admin
# scopes every list and choice to their store); operations run the platform's and see all.
_RUN = permission_grant("promotions", ["coupon", "promotion", "promotiontier", "flashprice"])

GRANTS = {
    MERCHANT: [*_RUN, "promotions.view_usercoupon"],
    PLATFORM_OPERATIONS: [
        *_RUN,
        "promotions.view_usercoupon",
        "promotions.send_coupon",
    ],
}
