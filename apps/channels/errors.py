from enum import StrEnum


class ChannelErrorCode(StrEnum):
    CHANNEL_NOT_FOUND = "channels_channel_not_found"
    STORE_REQUIRED = "channels_store_required"
    LISTING_NOT_FOUND = "channels_listing_not_found"
    LISTING_INVALID = "channels_listing_invalid"
    ORDER_NUMBER_INVALID = "channels_order_number_invalid"
    ORDER_CONFLICT = "channels_order_conflict"
    CSV_INVALID = "channels_csv_invalid"
