"""What each platform role may do with aftersales' models (collected by apps.core.roles)."""

from apps.core.roles import MERCHANT, PLATFORM_OPERATIONS, permission_grant

# After-sales and reviews: decide / reply through admin actions (merchants: their store's).
_HANDLE = permission_grant("aftersales", ["aftersale", "review"], ("view", "change"))

GRANTS = {
    MERCHANT: _HANDLE,
    # Every store's, plus dispute arbitration and moderation.
    PLATFORM_OPERATIONS: [
        *_HANDLE,
        "aftersales.arbitrate_aftersale",
        "aftersales.moderate_review",
    ],
}
