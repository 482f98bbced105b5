from enum import StrEnum


class PaymentErrorCode(StrEnum):
    PROVIDER_UNAVAILABLE = "payment_provider_unavailable"
    NOT_PENDING = "payment_order_not_pending"
    EXPIRED = "payment_order_expired"
    NOT_FOUND = "payment_not_found"
    UNKNOWN_PROVIDER = "payment_provider_unknown"
    REFUND_EXCEEDS_PAID = "refund_exceeds_paid"
    REFUND_INVALID_AMOUNT = "refund_invalid_amount"
    REFUND_REFERENCE_CONFLICT = "refund_reference_conflict"
    NOTHING_TO_REFUND = "refund_no_captured_payment"
    REFUND_NOT_FAILED = "refund_not_failed"
    INVALID_TRANSITION = "payment_invalid_transition"
