from django.db import models


class LogisticsErrorCode(models.TextChoices):
    CARRIER_UNKNOWN = "logistics_carrier_unknown"
    INVALID_TRACKING = "logistics_invalid_tracking_number"
    DUPLICATE_TRACKING = "logistics_duplicate_tracking_number"
    INVALID_LINES = "logistics_invalid_lines"
    NOT_COLD_CHAIN = "logistics_not_cold_chain"
    INVALID_TRANSITION = "logistics_invalid_transition"
    NOT_ALLOWED = "logistics_not_allowed"
    SHIPMENT_NOT_FOUND = "logistics_shipment_not_found"
    BAD_SIGNATURE = "logistics_bad_signature"
    INVALID_EVENT = "logistics_invalid_event"
    INVALID_CSV = "logistics_invalid_csv"
    PICKUP_CODE_WRONG = "logistics_pickup_code_wrong"
    RATE_LIMITED = "logistics_rate_limited"
