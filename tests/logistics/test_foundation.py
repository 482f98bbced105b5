from apps.logistics.models import Carrier
from apps.orders.models import Order


def test_carriers_are_seeded_with_patterns(db):
    codes = set(Carrier.objects.values_list("code", flat=True))
    assert {"sf", "jd", "zto", "yto", "yunda", "ems", "jtexpress", "county"} <= codes
    assert Carrier.objects.get(code="county").is_own_fleet


def test_paid_order_fixture(order_a):
    assert order_a.status == Order.Status.PAID
    assert [line.quantity for line in order_a.lines.all()] == [3, 2]
