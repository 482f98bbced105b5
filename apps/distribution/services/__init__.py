"""Distribution services: one module per topic (config, promoters, binding, commissions,
ledger, withdrawals, store_ledger); import from the module."""
