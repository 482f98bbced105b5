"""What each platform role may do with channels' models (collected by apps.core.roles)."""

from apps.core.roles import MERCHANT, PLATFORM_OPERATIONS, permission_grant

GRANTS = {
    # Their own store's listings and channel orders (scoping is done by stores.selectors);
    # adding a channel order is the CSV upload. Channels themselves are the platform's.
    MERCHANT: [
        *permission_grant("channels", ["channellisting"]),
        "channels.view_channelorder",
        "channels.add_channelorder",
        "channels.view_channel",
    ],
    PLATFORM_OPERATIONS: [
        *permission_grant("channels", ["channel", "channellisting"]),
        "channels.view_channelorder",
        "channels.add_channelorder",
    ],
}
