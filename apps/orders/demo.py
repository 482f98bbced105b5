"""Delivery methods of the demo county (寿光, 370783), added after `manage.py seed_demo` builds
the stores (catalog's demo_seeded signal; catalog cannot import orders).

The self-operated store ships chilled and frozen goods by cold-chain express, delivers in the
county by zone and time slot and hands over at community pickup points; the two local
merchant stores offer county delivery and pickup too. Natural keys (store + method, store + zone
name, store + start time, point name) make a re-run a no-op.
"""

from datetime import time
from decimal import Decimal

from django.db import transaction

from apps.accounts.models import User
from apps.orders.models import (
    DeliveryMethod,
    DeliveryOption,
    DeliverySlot,
    DeliveryZone,
    PickupPoint,
)

HOME_COUNTY = "370783"
# The demo account who clerks at every demo pickup point (catalog.demo.DEMO_ACCOUNTS).
PICKUP_CLERK_EMAIL = "pickup@tianjian.local"

PICKUP_POINTS = [
    # name, partner shop, township, address, hours, contact, phone, cold storage
    (
        "圣城街道·农圣小区自提点",
        "农圣便民超市",
        "370783001",
        "寿光市圣城街道农圣街 158 号农圣小区南门",
        "07:30–21:00",
        "孙丽",
        "13953600101",
        True,
    ),
    (
        "文家街道·菜都花园自提点",
        "菜都花园生鲜店",
        "370783003",
        "寿光市文家街道菜都路 66 号",
        "08:00–20:30",
        "王建国",
        "13953600102",
        True,
    ),
    (
        "孙家集街道·三元朱村自提点",
        "三元朱村供销社",
        "370783006",
        "寿光市孙家集街道三元朱村委会东 50 米",
        "08:00–19:00",
        "王秀兰",
        "13953600103",
        False,
    ),
    (
        "纪台镇·纪台大集自提点",
        "纪台镇邮政便民服务站",
        "370783111",
        "寿光市纪台镇政府街 12 号",
        "08:30–18:00",
        "赵明",
        "13953600104",
        False,
    ),
]

URBAN = ["370783001", "370783003", "370783004", "370783005"]

# store key → (options, zones, slots); options: method, cold chain, fee, free threshold.
STORE_DELIVERY = {
    "ziying": (
        [
            (DeliveryMethod.EXPRESS, True, "0.00", None),
            (DeliveryMethod.COUNTY, True, "0.00", "59.00"),
            (DeliveryMethod.PICKUP, True, "0.00", None),
        ],
        [("城区街道", URBAN, "3.00"), ("全县乡镇", [HOME_COUNTY], "6.00")],
        [
            (time(9), time(12), time(7)),
            (time(14), time(18), time(11)),
            (time(18), time(20), time(15)),
        ],
    ),
    # The vegetable grower's own refrigerated van: vegetables picked at dawn, delivered the
    # same afternoon; parcels also go to the pickup points' cold cabinets.
    "shouguang_veg": (
        [
            (DeliveryMethod.EXPRESS, False, "0.00", None),
            (DeliveryMethod.COUNTY, True, "0.00", "39.00"),
            (DeliveryMethod.PICKUP, True, "1.00", "29.00"),
        ],
        [("寿光全县", [HOME_COUNTY], "4.00")],
        [(time(14), time(18), time(10))],
    ),
    "shouguang_qin": (
        [
            (DeliveryMethod.EXPRESS, True, "0.00", None),
            (DeliveryMethod.PICKUP, True, "2.00", "49.00"),
        ],
        [],
        [],
    ),
}
# Stores far away that sell chilled or frozen goods ship them by cold-chain express.
for _key in ("pujiang", "qingyuan", "hetao", "dongning"):
    STORE_DELIVERY[_key] = ([(DeliveryMethod.EXPRESS, True, "0.00", None)], [], [])


def _money(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


@transaction.atomic
def delivery_demo_seed(*, stores: dict) -> int:
    """Create what is missing; returns how many rows were created."""
    created = 0
    clerk = User.objects.filter(email=PICKUP_CLERK_EMAIL).first()
    for name, shop, township, address, hours, contact, phone, cold in PICKUP_POINTS:
        point, is_new = PickupPoint.objects.get_or_create(
            name=name,
            defaults={
                "shop_name": shop,
                "county_code": HOME_COUNTY,
                "township_code": township,
                "address": address,
                "opening_hours": hours,
                "contact_name": contact,
                "contact_phone": phone,
                "has_cold_storage": cold,
            },
        )
        created += is_new
        if clerk is not None:
            point.clerks.add(clerk)
    for key, (options, zones, slots) in STORE_DELIVERY.items():
        store = stores.get(key)
        if store is None:
            continue
        for method, cold, fee, threshold in options:
            _option, is_new = DeliveryOption.objects.get_or_create(
                store=store,
                method=method,
                defaults={
                    "is_cold_chain": cold,
                    "fee": Decimal(fee),
                    "free_threshold": _money(threshold),
                },
            )
            created += is_new
        for zone_name, codes, fee in zones:
            _zone, is_new = DeliveryZone.objects.get_or_create(
                store=store, name=zone_name, defaults={"region_codes": codes, "fee": Decimal(fee)}
            )
            created += is_new
        for start, end, cutoff in slots:
            _slot, is_new = DeliverySlot.objects.get_or_create(
                store=store, start_time=start, defaults={"end_time": end, "cutoff_time": cutoff}
            )
            created += is_new
    return created
