"""Back-office page: the buyers of a lot (召回批次买家), with a CSV export.

It lives in orders because traceability may not read orders; the Lot admin links here by URL
name ("admin:orders_recall_buyers"). There is no model behind it: OrderAdmin.get_urls serves
it. A merchant sees only its own stores' lots:
another store's lot answers 404, the same as a lot that does not exist.
"""

import csv

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.phones import phone_mask
from apps.orders.models import OrderLine
from apps.orders.selectors import recall_buyer_lines, recall_lot_get_for_user
from apps.stores.selectors import user_can_manage_all_stores


def _row(line: OrderLine, *, full_phone: bool) -> dict:
    order = line.order
    address = order.address or {}
    phone = address.get("contact_phone", "") or (order.buyer.phone or "")
    return {
        "line": line,
        "order": order,
        "order_url": reverse("admin:orders_order_change", args=[order.pk]),
        "buyer": str(order.buyer),
        "contact": address.get("contact_name", ""),
        # Platform staff call buyers about a recall; a merchant sees what its order pages show.
        "phone": phone if full_phone else phone_mask(phone),
        "paid_at": timezone.localtime(order.paid_at) if order.paid_at else None,
    }


def _csv(lot, rows: list[dict]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    response["Content-Disposition"] = f'attachment; filename="recall-buyers-{lot.pk}-{stamp}.csv"'
    response.write("\ufeff")  # so Excel opens the Chinese headers as UTF-8
    writer = csv.writer(response)
    writer.writerow(
        [
            _("订单号"),
            _("付款时间"),
            _("买家"),
            _("收货人"),
            _("电话"),
            _("商品"),
            _("规格"),
            _("批次"),
            _("数量"),
            _("订单状态"),
            _("已通知"),
        ]
    )
    for row in rows:
        line = row["line"]
        writer.writerow(
            [
                row["order"].number,
                row["paid_at"].strftime("%Y-%m-%d %H:%M") if row["paid_at"] else "",
                row["buyer"],
                row["contact"],
                row["phone"],
                line.title,
                line.spec,
                line.lot.lot_number,
                line.quantity,
                row["order"].get_status_display(),
                _("是") if line.is_recall_notified else _("否"),
            ]
        )
    return response


def recall_buyers_view(request: HttpRequest, lot_id: int) -> HttpResponse:
    """Order lines filled from the lot (and lots made from it) in paid orders."""
    if not request.user.has_perm("orders.view_order"):
        raise PermissionDenied
    lot = recall_lot_get_for_user(user=request.user, lot_id=lot_id)
    if lot is None:
        raise Http404
    full_phone = user_can_manage_all_stores(request.user)
    rows = [_row(line, full_phone=full_phone) for line in recall_buyer_lines(lot=lot)]
    if request.GET.get("format") == "csv":
        return _csv(lot, rows)
    return TemplateResponse(
        request,
        "admin/orders/recall_buyers.html",
        {
            **admin.site.each_context(request),
            "title": _("召回批次买家：%(lot)s") % {"lot": lot.lot_number},
            "lot": lot,
            "rows": rows,
            "buyer_count": len({row["order"].buyer_id for row in rows}),
            "notified_count": sum(1 for row in rows if row["line"].is_recall_notified),
            "lot_url": reverse("admin:traceability_lot_change", args=[lot.pk]),
        },
    )
