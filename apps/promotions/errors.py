from enum import StrEnum


class PromotionErrorCode(StrEnum):
    COUPON_NOT_FOUND = "promotions_coupon_not_found"
    COUPON_NOT_CLAIMABLE = "promotions_coupon_not_claimable"
    COUPON_EXPIRED = "promotions_coupon_expired"
    COUPON_EXHAUSTED = "promotions_coupon_exhausted"
    COUPON_LIMIT_REACHED = "promotions_coupon_limit_reached"
    COUPON_UNUSABLE = "promotions_coupon_unusable"
    COUPON_TAKEN = "promotions_coupon_taken"
    FLASH_SOLD_OUT = "promotions_flash_sold_out"
    FLASH_LIMIT_REACHED = "promotions_flash_limit_reached"
    NOT_ALLOWED = "promotions_not_allowed"
