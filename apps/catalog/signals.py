"""Facts the catalog announces; higher apps connect receivers in their receivers.py."""

from django.dispatch import Signal

# `manage.py seed_demo` built (or completed) the demo county. Arguments: stores (store key →
# Store, see catalog.demo.STORES) and log (a callable taking one line of progress). Higher apps
# add their own demo data (delivery methods, pickup points, ...) without catalog importing them.
demo_seeded = Signal()

# A shopper searched the storefront (the search page or the product API's `search`), first
# page only, whether or not the page came from the page cache. Arguments: query (as typed),
# user (the request's user, maybe anonymous). Analytics logs it for its demand figures.
search_performed = Signal()
