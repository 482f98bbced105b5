from enum import StrEnum


class CaseErrorCode(StrEnum):
    INVALID_TRANSITION = "case_invalid_transition"
    NOT_FOUND = "case_not_found"
    NOT_ALLOWED = "case_not_allowed"
    FIELD_REQUIRED = "case_field_required"
    ORDER_NOT_YOURS = "case_order_not_yours"
    LOT_UNKNOWN = "case_lot_unknown"
    RESPONSIBLE_REQUIRED = "case_responsible_required"
    MERGE_INVALID = "case_merge_invalid"
    TOO_MANY_PHOTOS = "case_too_many_photos"
    PHONE_NOT_VERIFIED = "case_phone_not_verified"
    CODE_INVALID = "case_code_invalid"
    CODE_RATE_LIMITED = "case_code_rate_limited"
    NO_HOLD = "case_no_hold"


class CallbackErrorCode(StrEnum):
    INVALID_TRANSITION = "callback_invalid_transition"
    NOT_ALLOWED = "callback_not_allowed"
    SCORE_INVALID = "callback_score_invalid"
    ANSWER_REQUIRED = "callback_answer_required"


class SurveyErrorCode(StrEnum):
    LINK_INVALID = "survey_link_invalid"
    LINK_USED = "survey_link_used"
    NOT_YOURS = "survey_not_yours"
    ANSWER_INVALID = "survey_answer_invalid"


class ArchiveErrorCode(StrEnum):
    CONFIDENTIAL = "archive_confidential"
    REASON_REQUIRED = "archive_reason_required"
