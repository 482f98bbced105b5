"""Facts the analytics app announces; higher apps (the open platform) connect receivers.

Sent inside the price job's transaction, so a receiver's writes commit or roll back with it.
"""

from django.dispatch import Signal

# alerts: the PriceAlert rows (commodity selected) of the days the price job just rebuilt.
# A rerun rebuilds the same alerts again: receivers deduplicate on the alert's identity
# (commodity, scope, area, date, kind, level).
price_alerts_computed = Signal()
