"""What each platform role may do with catalog's models (collected by apps.core.roles)."""

from apps.core.roles import MERCHANT, PLATFORM_OPERATIONS, permission_grant

_STORE_OWNED = ["product", "sku", "wholesaletier", "productimage"]

GRANTS = {
    # Their own store's catalogue (scoping is done by stores.selectors); the category tree is
    # the platform's.
    MERCHANT: [*permission_grant("catalog", _STORE_OWNED), "catalog.view_category"],
    PLATFORM_OPERATIONS: permission_grant("catalog", [*_STORE_OWNED, "category", "searchsynonym"]),
}
