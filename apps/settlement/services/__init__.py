"""Settlement writes: booking order money, statements, payouts and adjustments."""

from apps.settlement.services.adjustments import settlement_adjustment_add
from apps.settlement.services.booking import (
    ledger_entry_book,
    settlement_book_order_completed,
    settlement_book_refund,
)
from apps.settlement.services.statements import (
    settlement_statement_confirm,
    settlement_statement_generate,
    settlement_statement_mark_paid_out,
    settlement_statements_generate,
)

__all__ = [
    "ledger_entry_book",
    "settlement_adjustment_add",
    "settlement_book_order_completed",
    "settlement_book_refund",
    "settlement_statement_confirm",
    "settlement_statement_generate",
    "settlement_statement_mark_paid_out",
    "settlement_statements_generate",
]
