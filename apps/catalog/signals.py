"""Facts the catalog announces; higher apps connect receivers in their receivers.py."""

from django.dispatch import Signal

# `manage.py seed_demo` built (or completed) the demo county. Arguments: stores (store key →
# Store, see catalog.demo.STORES) and log (a callable taking one line of progress). Higher apps
# add their own demo data (delivery methods, pickup points, ...) without catalog importing them.
demo_seeded = Signal()
