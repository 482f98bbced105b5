"""What each platform role may do with stores' models (collected by apps.core.roles)."""

from apps.core.roles import (
    FINANCE,
    MERCHANT,
    PLATFORM_OPERATIONS,
    STORE_REVIEWER,
    permission_grant,
)

_REVIEW_APPLICATIONS = ["stores.view_storeapplication", "stores.review_storeapplication"]

GRANTS = {
    # Merchant staff: their own store (scoping is done by stores.selectors).
    MERCHANT: ["stores.view_store", "stores.change_store", "stores.view_storemember"],
    PLATFORM_OPERATIONS: [
        "stores.manage_all_stores",
        *permission_grant("stores", ["store", "storemember"]),
        "stores.view_storeevent",
        *_REVIEW_APPLICATIONS,
    ],
    # Finance sees every store's settlement, hence every store; nothing here to change.
    FINANCE: ["stores.manage_all_stores", "stores.view_store"],
    STORE_REVIEWER: _REVIEW_APPLICATIONS,
}
