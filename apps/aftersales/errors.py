from enum import StrEnum


class AfterSaleErrorCode(StrEnum):
    ORDER_NOT_ELIGIBLE = "aftersale_order_not_eligible"
    NO_LINES = "aftersale_no_lines"
    UNKNOWN_LINE = "aftersale_unknown_line"
    QUANTITY_INVALID = "aftersale_quantity_invalid"
    QUANTITY_EXCEEDED = "aftersale_quantity_exceeded"
    LINE_ALREADY_OPEN = "aftersale_line_already_open"
    AMOUNT_INVALID = "aftersale_amount_invalid"
    AMOUNT_EXCEEDED = "aftersale_amount_exceeded"
    INVALID_TRANSITION = "aftersale_invalid_transition"
    REASON_REQUIRED = "aftersale_reason_required"
    TRACKING_REQUIRED = "aftersale_tracking_required"
    NOT_A_RETURN = "aftersale_not_a_return"
    ALREADY_ARBITRATED = "aftersale_already_arbitrated"
    TOO_MANY_PHOTOS = "aftersale_too_many_photos"
    NOT_ALLOWED = "aftersale_not_allowed"
    NOT_FOUND = "aftersale_not_found"
    REFUND_FAILED = "aftersale_refund_failed"


class ReviewErrorCode(StrEnum):
    ORDER_NOT_COMPLETED = "review_order_not_completed"
    ALREADY_REVIEWED = "review_already_reviewed"
    RATING_INVALID = "review_rating_invalid"
    ALREADY_REPLIED = "review_already_replied"
    REPLY_REQUIRED = "review_reply_required"
    TOO_MANY_PHOTOS = "review_too_many_photos"
    NOT_ALLOWED = "review_not_allowed"
    NOT_FOUND = "review_not_found"
