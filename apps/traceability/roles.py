"""What each platform role may do with traceability's models (collected by apps.core.roles)."""

from apps.core.roles import MERCHANT, PLATFORM_OPERATIONS, permission_grant

# Farm records, tests, certificates and events are added, never changed.
_TRACE = [
    "traceability.recall_lot",
    "traceability.view_lotstatuschange",
    *permission_grant("traceability", ["party", "location", "lot"], ("view", "add", "change")),
    *permission_grant(
        "traceability",
        [
            "inputapplication",
            "inspection",
            "certificate",
            "traceevent",
            "tracecode",
            "tracecodebatch",
        ],
        ("view", "add"),
    ),
]

GRANTS = {
    MERCHANT: _TRACE,
    PLATFORM_OPERATIONS: [*_TRACE, "traceability.view_chainanchor"],
}
