"""Small builders for the core tests, which exercise the shared mechanisms on real models."""

import datetime
from decimal import Decimal

from apps.stores.models import Store
from apps.traceability.models import Lot, Party
from tests.factories import ProductFactory


def lot_make(store: Store) -> Lot:
    """An active lot of a new product of `store`, made with the model (no trace chain)."""
    producer = Party.objects.create(store=store, kind="producer", name="张三")
    return Lot.objects.create(
        store=store,
        lot_number="L-1",
        product=ProductFactory(store=store),
        producer=producer,
        harvest_date=datetime.date(2026, 9, 1),
        quantity=Decimal("10"),
    )
