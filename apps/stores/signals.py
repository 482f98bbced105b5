"""Facts the stores app announces; higher apps connect receivers in their own apps.py."""

from django.dispatch import Signal

# A store's name changed (back-office edit). Arguments: store, old_name. Sent inside the saving
# transaction, so a receiver's writes commit or roll back with the rename. The catalog marks the
# store's products' search documents stale (the store's name is part of them).
store_renamed = Signal()
