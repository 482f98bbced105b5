"""What each platform role may do with news (collected by apps.core.roles): staff publish,
merchants and shoppers only read the storefront pages."""

from apps.core.roles import PLATFORM_OPERATIONS, permission_grant

GRANTS = {PLATFORM_OPERATIONS: permission_grant("news", ["article"])}
