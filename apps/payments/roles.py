"""What each platform role may do with payments' models (collected by apps.core.roles)."""

from apps.core.roles import PLATFORM_OPERATIONS, permission_grant

GRANTS = {
    # Payments are the platform's (one checkout spans stores): read-only, no merchant access.
    PLATFORM_OPERATIONS: [
        *permission_grant(
            "payments", ["payment", "paymentevent", "paymentnotification", "refund"], ("view",)
        ),
        "payments.retry_refund",
    ],
}
