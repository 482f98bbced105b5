"""What each platform role may do with the open platform's models (collected by core.roles)."""

from apps.core.roles import MERCHANT, PLATFORM_OPERATIONS, permission_grant

_LOGS = ["open_platform.view_webhookdelivery", "open_platform.view_apicalllog"]

GRANTS = {
    # A merchant registers its store's apps, issues and revokes their tokens, manages their
    # subscriptions and redelivers (the admin scopes all of it to their store).
    MERCHANT: [
        *permission_grant("open_platform", ["app", "apptoken"], ("view", "add", "change")),
        *permission_grant("open_platform", ["webhooksubscription"]),
        *_LOGS,
    ],
    PLATFORM_OPERATIONS: [
        *permission_grant("open_platform", ["app", "apptoken", "webhooksubscription"]),
        *_LOGS,
    ],
}
