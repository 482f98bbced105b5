"""What each platform role may do with settlement's models (collected by apps.core.roles)."""

from apps.core.roles import FINANCE, MERCHANT, PLATFORM_OPERATIONS

# Merchants read their ledger and statements; finance and operations also confirm, mark paid
# out and add adjustments (always through apps.settlement.services).
_VIEW = [
    "settlement.view_ledgerentry",
    "settlement.view_settlementstatement",
    "settlement.view_statementevent",
]
_MANAGE = [
    *_VIEW,
    "settlement.confirm_settlementstatement",
    "settlement.pay_out_settlementstatement",
    "settlement.adjust_ledgerentry",
]

GRANTS = {
    MERCHANT: _VIEW,
    PLATFORM_OPERATIONS: _MANAGE,
    FINANCE: _MANAGE,
}
