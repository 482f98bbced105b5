"""Helpers of the tracking tests (shared by test_tracking*, test_webhooks, test_temperature,
test_track_page): ship an order in one parcel, make aware times."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from apps.logistics.models import Shipment
from apps.logistics.services.shipments import shipment_create

SHANGHAI = ZoneInfo("Asia/Shanghai")
NUMBER = "SF1234567890123"


def ship(order, *, carrier: str = "sf", number: str = NUMBER, lines=None) -> Shipment:
    """The whole order (or `lines`) in one parcel, shipped by the system."""
    return shipment_create(
        order=order, actor=None, carrier_code=carrier, tracking_number=number, lines=lines
    )


# One fixed "now" per test run, so times compared across calls never straddle a second.
BASE = timezone.now().replace(microsecond=0)


def cold_chain_order(shopper, address, store, *, key: str, **product):
    """A paid order of one cold-chain product (the store ships express with cold chain)."""
    from apps.orders.models import DeliveryOption
    from tests.logistics.conftest import make_sku, paid_order

    DeliveryOption.objects.get_or_create(
        store=store, method="express", defaults={"is_cold_chain": True}
    )
    sku = make_sku(store, price="30.00", stock=10, **product)
    return paid_order(shopper, address, (sku, 1), key=f"cold-chain-{key}")


def hours_ago(hours: float) -> datetime:
    return BASE - timedelta(hours=hours)
