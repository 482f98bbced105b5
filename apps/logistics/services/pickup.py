"""Community pickup points (社区自提点): scanning parcels in and handing them over.

A parcel for a pickup order reaches its point; the point's clerk scans it in, which moves it to
"at pickup point" and gives the shopper a six-digit pickup code (in-site notice). The shopper
tells the clerk the code; the clerk types it in and the parcel is delivered (and the order once
all its parcels are). Codes are short, so wrong guesses are limited per clerk and per point.
"""

import logging
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from apps.accounts.services import notification_send
from apps.core.errors import ApplicationError
from apps.core.transitions import event_record
from apps.logistics.errors import LogisticsErrorCode
from apps.logistics.models import Shipment
from apps.logistics.services.status import shipment_lock, shipment_move
from apps.logistics.throttling import fixed_key, limit_reached
from apps.orders.models import DeliveryMethod, PickupPoint
from apps.stores.selectors import user_can_manage_all_stores

logger = logging.getLogger(__name__)

PICKUP_CODE_DIGITS = 6
# Wrong codes allowed per clerk and per point in the window ("5/10m": 5 per 10 minutes).
DEFAULT_WRONG_CODE_RATE = "5/10m"
CLERK_MISS_GROUP = "logistics.pickup.clerk_miss"
POINT_MISS_GROUP = "logistics.pickup.point_miss"


def _wrong_code_rate() -> str:
    return getattr(settings, "PICKUP_CODE_RATE_LIMIT", DEFAULT_WRONG_CODE_RATE)


def _misses(group: str, value: str, *, increment: bool):
    # django-ratelimit counters without a request: the keys are ours, not the client's.
    return get_usage(
        None, group=group, key=fixed_key(value), rate=_wrong_code_rate(), increment=increment
    )


# --- Who may work at a point -------------------------------------------------------------


def pickup_points_for_user(user) -> QuerySet[PickupPoint]:
    """The active points this user clerks at; platform staff see every active point."""
    if not user or not user.is_authenticated:
        return PickupPoint.objects.none()
    points = PickupPoint.objects.filter(is_active=True).order_by("county_code", "name")
    if user_can_manage_all_stores(user):
        return points
    return points.filter(clerks=user)


def pickup_point_get_for_user(*, user, pk) -> PickupPoint | None:
    """The one way to fetch a point for the clerk pages: another point's id is not found."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return pickup_points_for_user(user).filter(pk=pk).first()


def _require_clerk(point: PickupPoint, actor) -> None:
    if pickup_point_get_for_user(user=actor, pk=point.pk) is None:
        raise ApplicationError(
            _("您不是该自提点的店员。"), code=LogisticsErrorCode.NOT_ALLOWED, status_code=403
        )


def pickup_shipments_for_point(*, point: PickupPoint) -> QuerySet[Shipment]:
    """Parcels of pickup orders addressed to this point that are not handed over yet."""
    return (
        Shipment.objects.filter(
            pickup_point=point,
            order__pickup_point=point,
            delivery_method=DeliveryMethod.PICKUP,
        )
        .exclude(status__in=Shipment.FINAL_STATUSES)
        .select_related("order__buyer", "carrier")
        .order_by("status", "created_at", "id")
    )


def pickup_shipment_find(*, point: PickupPoint, tracking_number: str) -> Shipment | None:
    number = "".join((tracking_number or "").split()).upper()
    if not number:
        return None
    return pickup_shipments_for_point(point=point).filter(tracking_number=number).first()


# --- Scan in ------------------------------------------------------------------------------


def _pickup_code_new(point: PickupPoint, order_id: int) -> str:
    """The code of the same order's parcel already waiting here, or a fresh one that no other
    parcel waiting at this point has (so one code hands over exactly one order)."""
    waiting = Shipment.objects.filter(
        pickup_point=point, status=Shipment.Status.AT_PICKUP_POINT
    ).exclude(pickup_code="")
    same_order = waiting.filter(order_id=order_id).values_list("pickup_code", flat=True).first()
    if same_order:
        return same_order
    taken = set(waiting.values_list("pickup_code", flat=True))
    while True:
        code = f"{secrets.randbelow(10**PICKUP_CODE_DIGITS):0{PICKUP_CODE_DIGITS}d}"
        if code not in taken:
            return code


@transaction.atomic
def pickup_arrival_record(*, shipment: Shipment, actor) -> Shipment:
    """The point's clerk scans a parcel in: it waits at the point with a pickup code, and the
    shopper is told the code, the point's address and opening hours."""
    shipment = shipment_lock(shipment)
    point = shipment.pickup_point
    if (
        point is None
        or shipment.delivery_method != DeliveryMethod.PICKUP
        or shipment.order.pickup_point_id != point.pk
    ):
        raise ApplicationError(
            _("包裹%(number)s不是寄往自提点的订单包裹。") % {"number": shipment.tracking_number},
            code=LogisticsErrorCode.NOT_ALLOWED,
            status_code=409,
        )
    _require_clerk(point, actor)
    # Arrivals at one point take turns, so two parcels cannot draw the same fresh code.
    PickupPoint.objects.select_for_update().filter(pk=point.pk).first()
    waiting_without_code = (
        shipment.status == Shipment.Status.AT_PICKUP_POINT and not shipment.pickup_code
    )
    code = _pickup_code_new(point, shipment.order_id)
    shipment.pickup_code = code
    reason = _("到达自提点：%(point)s") % {"point": point.name}
    if waiting_without_code:
        # A carrier's "arrived at the pickup point" scan got here first: the parcel is already
        # waiting, only the code (and the shopper's notice) is missing.
        shipment.save(update_fields=["pickup_code", "updated_at"])
        event_record(
            shipment,
            kind="pickup_arrival",
            actor=actor,
            reason=reason,
            payload={"pickup_point": point.pk},
        )
    else:
        shipment_move(
            shipment=shipment,
            to_status=Shipment.Status.AT_PICKUP_POINT,
            actor=actor,
            reason=reason,
            kind="pickup_arrival",
            payload={"pickup_point": point.pk},
            fields=("pickup_code",),
        )
    order = shipment.order
    notification_send(
        user=order.buyer,
        title=_("您的包裹已到自提点，取件码 %(code)s") % {"code": code},
        body=_(
            "订单 %(order)s 的包裹已到达「%(point)s」。取件码：%(code)s。"
            "地址：%(address)s；营业时间：%(hours)s；联系电话：%(phone)s。请凭取件码取件。"
        )
        % {
            "order": order.number,
            "point": point.name,
            "code": code,
            "address": point.address,
            "hours": point.opening_hours,
            "phone": point.contact_phone,
        },
        url=order.get_absolute_url(),
    )
    return shipment


# --- Hand over ----------------------------------------------------------------------------


def _refuse_rate_limited() -> ApplicationError:
    return ApplicationError(
        _("取件码错误次数过多，请稍后再试。"),
        code=LogisticsErrorCode.RATE_LIMITED,
        fields={"code": _("错误次数过多")},
        status_code=429,
    )


def pickup_hand_over(*, point: PickupPoint, code: str, actor) -> list[Shipment]:
    """The clerk enters the shopper's code: every parcel waiting here under that code is
    delivered and the code cleared. A wrong code is refused, logged and counted; past the
    limit (per clerk and per point) every attempt is refused until the window passes."""
    _require_clerk(point, actor)
    clerk_key, point_key = f"user:{actor.pk}", f"point:{point.pk}"
    if limit_reached(_misses(CLERK_MISS_GROUP, clerk_key, increment=False)) or limit_reached(
        _misses(POINT_MISS_GROUP, point_key, increment=False)
    ):
        logger.warning("pickup code refused (rate limited): point %s clerk %s", point.pk, actor.pk)
        raise _refuse_rate_limited()
    code = "".join((code or "").split())
    delivered = _hand_over(point=point, code=code, actor=actor) if code.isdigit() else []
    if not delivered:
        # Counted outside the transaction: the cache is not rolled back with it.
        _misses(CLERK_MISS_GROUP, clerk_key, increment=True)
        _misses(POINT_MISS_GROUP, point_key, increment=True)
        logger.warning("wrong pickup code at point %s by clerk %s", point.pk, actor.pk)
        raise ApplicationError(
            _("取件码不正确，请核对后重新输入。"),
            code=LogisticsErrorCode.PICKUP_CODE_WRONG,
            fields={"code": _("取件码不正确")},
        )
    return delivered


@transaction.atomic
def _hand_over(*, point: PickupPoint, code: str, actor) -> list[Shipment]:
    shipments = list(
        Shipment.objects.select_for_update()
        .filter(
            pickup_point=point,
            order__pickup_point=point,
            status=Shipment.Status.AT_PICKUP_POINT,
            pickup_code=code,
        )
        .order_by("pk")
    )
    for shipment in shipments:
        shipment.pickup_code = ""
        shipment_move(
            shipment=shipment,
            to_status=Shipment.Status.DELIVERED,
            actor=actor,
            reason=_("自提点交付：%(point)s") % {"point": point.name},
            kind="pickup_hand_over",
            payload={"pickup_point": point.pk},
            fields=("pickup_code",),
        )
    return shipments
