"""What each platform role may do with logistics' models (collected by apps.core.roles)."""

from apps.core.roles import MERCHANT, PLATFORM_OPERATIONS, permission_grant

# Merchants ship (add) and follow their parcels; staff also manage carriers.
_SHIPMENTS = ["logistics.view_shipment", "logistics.add_shipment"]

GRANTS = {
    MERCHANT: _SHIPMENTS,
    PLATFORM_OPERATIONS: [
        *_SHIPMENTS,
        *permission_grant("logistics", ["carrier"], ("view", "add", "change")),
        # Carrier push sources and their signing secrets: operations only, never finance.
        *permission_grant("logistics", ["trackingfeed"]),
    ],
}
