from enum import StrEnum


class SettlementErrorCode(StrEnum):
    NOT_ALLOWED = "settlement_not_allowed"
    ORDER_NOT_COMPLETED = "settlement_order_not_completed"
    INVALID_AMOUNT = "settlement_invalid_amount"
    REFUND_EXCEEDS_INCOME = "settlement_refund_exceeds_income"
    REASON_REQUIRED = "settlement_reason_required"
    REFERENCE_REQUIRED = "settlement_reference_required"
    INVALID_PERIOD = "settlement_invalid_period"
    PERIOD_NOT_ENDED = "settlement_period_not_ended"
    INVALID_TRANSITION = "settlement_invalid_transition"
    KEY_CONFLICT = "settlement_key_conflict"
    STATEMENT_MISMATCH = "settlement_statement_mismatch"
