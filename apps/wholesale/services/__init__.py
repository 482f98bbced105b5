"""Writes of the wholesale app. Import from here: `from apps.wholesale.services import ...`."""

from apps.wholesale.services.credit import (
    credit_charge,
    credit_limit_set,
    credit_record_repayment,
    credit_refund,
    credit_release,
)
from apps.wholesale.services.organisations import (
    buyer_organisation_apply,
    buyer_organisation_reject,
    buyer_organisation_verify,
)
from apps.wholesale.services.statements import (
    buyer_statement_generate,
    buyer_statements_generate,
)

__all__ = [
    "buyer_organisation_apply",
    "buyer_organisation_reject",
    "buyer_organisation_verify",
    "buyer_statement_generate",
    "buyer_statements_generate",
    "credit_charge",
    "credit_limit_set",
    "credit_record_repayment",
    "credit_refund",
    "credit_release",
]
