from enum import StrEnum


class CatalogErrorCode(StrEnum):
    IMAGE_INVALID = "image_invalid"
    IMAGE_TOO_LARGE = "image_too_large"
    IMAGE_TOO_MANY_PIXELS = "image_too_many_pixels"
    PRODUCT_NOT_SELLABLE = "product_not_sellable"
    PRODUCT_NO_SKU = "product_no_sku"
    WRONG_STORE = "wrong_store"
    UNKNOWN_ORIGIN = "unknown_origin"
