from enum import StrEnum


class AccountErrorCode(StrEnum):
    EMAIL_OR_PHONE_REQUIRED = "email_or_phone_required"
    EMAIL_TAKEN = "email_taken"
    PHONE_TAKEN = "phone_taken"
    INVALID_PHONE = "invalid_phone"
    INVALID_NAME = "invalid_name"
    INVALID_CREDENTIALS = "invalid_credentials"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    ACCOUNT_INACTIVE = "account_inactive"
    NOTIFICATION_NOT_FOUND = "notification_not_found"
