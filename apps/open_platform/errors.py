from django.db import models


class OpenPlatformErrorCode(models.TextChoices):
    SCOPE_MISSING = "open_platform_scope_missing"
    SCOPE_UNKNOWN = "open_platform_scope_unknown"
    TOKEN_INVALID = "open_platform_token_invalid"
    APP_NOT_ALLOWED = "open_platform_app_not_allowed"
    URL_REFUSED = "open_platform_url_refused"
    EVENT_UNKNOWN = "open_platform_event_unknown"
    SUBSCRIPTION_PAUSED = "open_platform_subscription_paused"
    NOT_FOUND = "open_platform_not_found"
    INVALID_TRANSITION = "open_platform_invalid_transition"
