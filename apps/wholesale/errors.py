from enum import StrEnum


class WholesaleErrorCode(StrEnum):
    NOT_VERIFIED = "wholesale_not_verified"
    CREDIT_EXCEEDED = "wholesale_credit_exceeded"
    BELOW_MINIMUM = "wholesale_below_minimum"
    ALREADY_MEMBER = "wholesale_already_member"
    NOT_PENDING = "wholesale_not_pending"
    INVALID_TRANSITION = "wholesale_invalid_transition"
    LICENCE_TAKEN = "wholesale_licence_taken"
    REASON_REQUIRED = "wholesale_reason_required"
    INVALID_AMOUNT = "wholesale_invalid_amount"
    OVERPAYMENT = "wholesale_overpayment"
    REFERENCE_CONFLICT = "wholesale_reference_conflict"
    OVER_REFUND = "wholesale_over_refund"
    INVALID_PERIOD = "wholesale_invalid_period"
    PERIOD_NOT_ENDED = "wholesale_period_not_ended"
    NO_ORGANISATION = "wholesale_no_organisation"
