"""The pickup point clerk's page: parcels on the way and waiting, scan in, hand over by code."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.core.errors import ApplicationError
from apps.logistics.models import Shipment
from apps.logistics.services.pickup import (
    pickup_arrival_record,
    pickup_hand_over,
    pickup_point_get_for_user,
    pickup_points_for_user,
    pickup_shipment_find,
    pickup_shipments_for_point,
)


def _point(request: HttpRequest, point_id) -> object:
    point = pickup_point_get_for_user(user=request.user, pk=point_id)
    if point is None:
        raise Http404("pickup point")
    return point


def _page_url(point) -> str:
    return f"{reverse('logistics:pickup')}?point={point.pk}"


def _render(request, point, points, *, code_error: str = "", status: int = 200) -> HttpResponse:
    shipments = list(pickup_shipments_for_point(point=point))
    waiting = [s for s in shipments if s.status == Shipment.Status.AT_PICKUP_POINT]
    on_the_way = [s for s in shipments if s.status != Shipment.Status.AT_PICKUP_POINT]
    return render(
        request,
        "logistics/pickup.html",
        {
            "point": point,
            "points": points,
            "waiting": waiting,
            "on_the_way": on_the_way,
            "code_error": code_error,
        },
        status=status,
    )


@login_required
@require_GET
def pickup_home(request: HttpRequest) -> HttpResponse:
    points = list(pickup_points_for_user(request.user))
    if not points:
        raise Http404("pickup point")
    wanted = request.GET.get("point")
    point = next((p for p in points if str(p.pk) == wanted), points[0])
    return _render(request, point, points)


@login_required
@require_POST
def pickup_arrive(request: HttpRequest, point_id: int) -> HttpResponse:
    point = _point(request, point_id)
    shipment = pickup_shipment_find(
        point=point, tracking_number=request.POST.get("tracking_number", "")
    )
    if shipment is None:
        messages.error(request, _("本自提点没有这个运单号的待到货包裹，请核对运单号。"))
        return redirect(_page_url(point))
    try:
        shipment = pickup_arrival_record(shipment=shipment, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("包裹 %(number)s 已到货，已通知顾客取件码。") % {"number": shipment.tracking_number},
        )
    return redirect(_page_url(point))


@login_required
@require_POST
def pickup_hand_over_view(request: HttpRequest, point_id: int) -> HttpResponse:
    point = _point(request, point_id)
    try:
        delivered = pickup_hand_over(
            point=point, code=request.POST.get("code", ""), actor=request.user
        )
    except ApplicationError as exc:
        points = list(pickup_points_for_user(request.user))
        return _render(request, point, points, code_error=exc.message, status=exc.status_code)
    messages.success(
        request,
        _("已交付订单 %(orders)s 的 %(n)d 个包裹。")
        % {"orders": "、".join(sorted({s.order.number for s in delivered})), "n": len(delivered)},
    )
    return redirect(_page_url(point))
