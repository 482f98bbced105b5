"""Shipping: the merchant puts (some of) an order's lines into a parcel with a carrier and
waybill number. The orders app books stock, lots and the order's status (order_lines_ship);
this module checks the carrier, the number and the cold chain, and records the parcel.
"""

import re
import secrets

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.core.transitions import event_record
from apps.logistics.errors import LogisticsErrorCode
from apps.logistics.models import Carrier, Shipment, ShipmentLine
from apps.logistics.services.notices import shipment_notify_shipped
from apps.logistics.signals import shipment_updated
from apps.orders.models import DeliveryMethod, Order, OrderLine
from apps.orders.services.lifecycle import order_lines_ship
from apps.stores.selectors import store_ids_for_user, user_can_manage_all_stores

OWN_FLEET_PREFIX = "TJ"
OWN_FLEET_DIGITS = 12


def _carrier_get(code: str) -> Carrier:
    carrier = Carrier.objects.filter(code=(code or "").strip().lower(), is_active=True).first()
    if carrier is None:
        raise ApplicationError(
            _("未知的承运商。"),
            code=LogisticsErrorCode.CARRIER_UNKNOWN,
            fields={"carrier": _("请选择一个可用的承运商。")},
        )
    return carrier


def _own_fleet_number_new() -> str:
    """A fresh own-fleet waybill number; 10¹² numbers make a clash rare, but check anyway."""
    while True:
        number = f"{OWN_FLEET_PREFIX}{secrets.randbelow(10**OWN_FLEET_DIGITS):0{OWN_FLEET_DIGITS}d}"
        if not Shipment.objects.filter(tracking_number=number).exists():
            return number


def _matches(carrier: Carrier, number: str) -> bool:
    try:
        return re.fullmatch(carrier.tracking_pattern, number) is not None
    except re.error:
        # A broken pattern typed in the admin must not let every number through.
        return False


def tracking_number_clean(*, carrier: Carrier, tracking_number: str) -> str:
    """Strip and upper-case the number and check it against the carrier's format.

    A blank number for the platform's own fleet gets a generated one."""
    number = "".join((tracking_number or "").split()).upper()
    if not number and carrier.is_own_fleet:
        return _own_fleet_number_new()
    if not number:
        raise ApplicationError(
            _("请填写运单号。"),
            code=LogisticsErrorCode.INVALID_TRACKING,
            fields={"tracking_number": _("请填写运单号。")},
        )
    if len(number) > 40 or not _matches(carrier, number):
        message = _("运单号 %(number)s 不符合%(carrier)s的单号格式。") % {
            "number": number[:40],
            "carrier": carrier.name,
        }
        raise ApplicationError(
            message,
            code=LogisticsErrorCode.INVALID_TRACKING,
            fields={"tracking_number": message},
        )
    return number


def _duplicate_error(carrier: Carrier, number: str) -> ApplicationError:
    message = _("%(carrier)s运单号 %(number)s 已被其他包裹使用。") % {
        "carrier": carrier.name,
        "number": number,
    }
    return ApplicationError(
        message,
        code=LogisticsErrorCode.DUPLICATE_TRACKING,
        fields={"tracking_number": message},
        status_code=409,
    )


def _check_carrier_fits(order: Order, carrier: Carrier) -> None:
    if order.is_cold_chain and not carrier.is_cold_chain:
        raise ApplicationError(
            _("订单含冷链商品，%(carrier)s不提供冷链运输。") % {"carrier": carrier.name},
            code=LogisticsErrorCode.NOT_COLD_CHAIN,
            fields={"carrier": _("请选择冷链承运商。")},
        )
    local = order.delivery_method in (DeliveryMethod.COUNTY, DeliveryMethod.PICKUP)
    if local and not carrier.is_own_fleet:
        raise ApplicationError(
            _("县域配送和自提订单须由平台县域配送发货。"),
            code=LogisticsErrorCode.NOT_ALLOWED,
            fields={"carrier": _("请选择平台县域配送。")},
        )


def _may_ship(order: Order, actor) -> bool:
    return (
        actor is None
        or user_can_manage_all_stores(actor)
        or order.store_id in store_ids_for_user(actor)
    )


@transaction.atomic
def shipment_create(
    *,
    order: Order,
    actor,
    carrier_code: str,
    tracking_number: str = "",
    lines: dict[int, int] | None = None,
    lots: dict[int, int] | None = None,
) -> Shipment:
    """Ship `lines` (order-line id → quantity; None: everything left) of a paid order in one
    parcel. `lots` (order-line id → lot id) picks the lot a line is filled from.

    All or nothing: a refused carrier, number, quantity or lot leaves no parcel, no stock
    change and no order event. actor None is the system (tests, imports).
    """
    if not _may_ship(order, actor):
        raise ApplicationError(
            _("您无权为这个订单发货。"), code=LogisticsErrorCode.NOT_ALLOWED, status_code=403
        )
    carrier = _carrier_get(carrier_code)
    number = tracking_number_clean(carrier=carrier, tracking_number=tracking_number)
    _check_carrier_fits(order, carrier)
    if Shipment.objects.filter(carrier=carrier, tracking_number=number).exists():
        raise _duplicate_error(carrier, number)
    # Lock the order before reading what is left to ship, so two parcels never both take it.
    order = Order.objects.select_for_update().get(pk=order.pk)
    if lines is None:
        lines = {
            line.pk: line.quantity - line.refunded_quantity - line.shipped_quantity
            for line in order.lines.all()
            if line.quantity - line.refunded_quantity - line.shipped_quantity > 0
        }
    order = order_lines_ship(
        order=order,
        quantities=lines,
        actor=actor,
        lots=lots,
        reference=f"{carrier.code}:{number}",
        payload={"carrier": carrier.code, "carrier_name": carrier.name, "tracking_number": number},
    )
    # order_lines_ship validated the ids and quantities; the lot each line used is on it now.
    shipped = {int(line_id): int(quantity) for line_id, quantity in lines.items()}
    lot_ids = dict(OrderLine.objects.filter(pk__in=shipped).values_list("pk", "lot_id"))
    try:
        with transaction.atomic():
            shipment = Shipment.objects.create(
                order=order,
                store_id=order.store_id,
                carrier=carrier,
                tracking_number=number,
                delivery_method=order.delivery_method,
                pickup_point_id=(
                    order.pickup_point_id
                    if order.delivery_method == DeliveryMethod.PICKUP
                    else None
                ),
                is_cold_chain=order.is_cold_chain,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:
        # Another parcel took the number between the check above and this insert.
        raise _duplicate_error(carrier, number) from None
    ShipmentLine.objects.bulk_create(
        ShipmentLine(
            shipment=shipment, order_line_id=line_id, quantity=quantity, lot_id=lot_ids[line_id]
        )
        for line_id, quantity in sorted(shipped.items())
    )
    event_record(
        shipment,
        kind="created",
        from_status="",
        actor=actor,
        reason=_("商家发货：%(carrier)s %(number)s") % {"carrier": carrier.name, "number": number},
        payload={
            "order": order.number,
            "lines": {str(line_id): quantity for line_id, quantity in sorted(shipped.items())},
            "lots": {str(k): v for k, v in sorted(lot_ids.items()) if v},
        },
    )
    shipment_notify_shipped(shipment=shipment)
    shipment_updated.send(
        sender=Shipment, shipment=shipment, from_status="", to_status=shipment.status
    )
    return shipment
