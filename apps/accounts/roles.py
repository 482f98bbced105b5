"""What each platform role may do with accounts' models (collected by apps.core.roles)."""

from apps.core.roles import PLATFORM_OPERATIONS

GRANTS = {
    PLATFORM_OPERATIONS: ["accounts.view_user", "accounts.view_loginfailure"],
}
