"""What each platform role may do with the analytics models (collected by apps.core.roles)."""

from apps.core.roles import MERCHANT, PLATFORM_OPERATIONS, permission_grant

# Operations keep the market and commodity lists and import quotes; derived tables are
# read-only everywhere (the jobs write them). Merchants read the public quotes and, through
# the scoped dashboard, their own store's figures.
GRANTS = {
    MERCHANT: [
        "analytics.view_market",
        "analytics.view_commodity",
        "analytics.view_priceobservation",
        "analytics.view_pricealert",
    ],
    PLATFORM_OPERATIONS: [
        *permission_grant("analytics", ["market", "commodity", "commodityalias", "alertthreshold"]),
        "analytics.view_pricealert",
        "analytics.view_priceobservation",
        "analytics.delete_priceobservation",
        "analytics.view_priceimport",
        "analytics.add_priceimport",
        "analytics.view_pricedaily",
        "analytics.view_priceperiod",
        "analytics.view_salesdaily",
        "analytics.view_jobrun",
        "analytics.view_figures",
    ],
}
