from enum import StrEnum


class StoreErrorCode(StrEnum):
    INVALID_TRANSITION = "store_invalid_transition"
    APPLICATION_NOT_PENDING = "store_application_not_pending"
    APPLICATION_ALREADY_OPEN = "store_application_already_open"
    NAME_TAKEN = "store_name_taken"
    UNKNOWN_DIVISION = "store_unknown_division"
    NOT_A_MEMBER = "store_not_a_member"
    INVALID_PHONE = "store_invalid_phone"
    INVALID_LICENCE_NUMBER = "store_invalid_licence_number"
    INVALID_STORE_TYPE = "store_invalid_type"
    REASON_REQUIRED = "store_reason_required"
    LAST_OWNER = "store_last_owner"
