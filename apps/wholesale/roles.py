"""What each platform role may do with wholesale's models (collected by apps.core.roles)."""

from apps.core.roles import PLATFORM_OPERATIONS, permission_grant

GRANTS = {
    # Wholesale buyers: review applications, grant credit, record repayments (views only: every
    # change goes through apps.wholesale.services from admin actions).
    PLATFORM_OPERATIONS: [
        "wholesale.review_buyerorganisation",
        "wholesale.manage_credit_buyerorganisation",
        *permission_grant(
            "wholesale",
            [
                "buyerorganisation",
                "buyermember",
                "buyerorganisationevent",
                "creditentry",
                "buyerstatement",
            ],
            ("view",),
        ),
    ],
}
