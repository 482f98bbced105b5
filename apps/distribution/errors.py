from enum import StrEnum


class DistributionErrorCode(StrEnum):
    DISABLED = "distribution_disabled"
    INVALID_CONFIG = "distribution_invalid_config"
    NOT_A_PROMOTER = "distribution_not_a_promoter"
    ALREADY_PROMOTER = "distribution_already_promoter"
    NOT_QUALIFIED = "distribution_not_qualified"
    APPLICATION_CLOSED = "distribution_application_closed"
    UNKNOWN_CODE = "distribution_unknown_code"
    SELF_BINDING = "distribution_self_binding"
    BINDING_CYCLE = "distribution_binding_cycle"
    PROMOTER_INACTIVE = "distribution_promoter_inactive"
    ALREADY_BOUND = "distribution_already_bound"
    NOT_NEW_USER = "distribution_not_new_user"
    INVALID_TRANSITION = "distribution_invalid_transition"
    INVALID_AMOUNT = "distribution_invalid_amount"
    INSUFFICIENT_BALANCE = "distribution_insufficient_balance"
    REASON_REQUIRED = "distribution_reason_required"
    REFERENCE_REQUIRED = "distribution_reference_required"
    KEY_CONFLICT = "distribution_key_conflict"
