"""What each platform role may do with distribution's models (collected by apps.core.roles)."""

from apps.core.roles import FINANCE, MERCHANT, PLATFORM_OPERATIONS, permission_grant

_VIEW = [
    "distribution.view_distributionconfig",
    "distribution.view_promoter",
    "distribution.view_promotergrade",
    "distribution.view_referralbinding",
    "distribution.view_bindingchange",
    "distribution.view_commissionrecord",
    "distribution.view_balanceentry",
    "distribution.view_withdrawal",
]

GRANTS = {
    # Merchants set commission per product/SKU of their own store (scoped in the admin).
    MERCHANT: permission_grant("distribution", ["commissionoverride"]),
    PLATFORM_OPERATIONS: [
        *_VIEW,
        "distribution.add_distributionconfig",
        *permission_grant("distribution", ["promotergrade", "commissionoverride"]),
        "distribution.change_promoter",
        "distribution.add_promoter",
        "distribution.change_referralbinding",
    ],
    FINANCE: [*_VIEW, "distribution.review_withdrawal", "distribution.change_withdrawal"],
}
