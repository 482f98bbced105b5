"""Per-promotion figures (报表): orders, GMV, discount spent by funder, new buyers and, for a
coupon, the redemption rate; a page in the admin and its CSV export.

It lives in orders because it reads the discount shares each order line keeps
(`OrderLineDiscount`); promotions, below orders, supplies the names and coupon counters.
Only paid orders count (pending and cancelled checkouts gave their coupons back). A merchant
sees its own stores' orders only.
"""

import csv
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.db.models import Min
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from apps.orders.models import ZERO, Order, OrderLineDiscount
from apps.promotions.models import Coupon
from apps.stores.selectors import scope_to_user_stores

KINDS = {"coupon": _("优惠券"), "promotion": _("满减活动"), "flash": _("限时价")}


@dataclass
class PromotionReportRow:
    code: str
    label: str = ""
    order_ids: set[int] = field(default_factory=set)
    gmv: Decimal = ZERO  # what buyers paid for the orders that used it
    platform_amount: Decimal = ZERO
    store_amount: Decimal = ZERO
    new_buyers: int = 0
    issued: int | None = None
    used: int | None = None

    @property
    def kind(self) -> str:
        return KINDS.get(self.code.partition(":")[0], "")

    @property
    def orders(self) -> int:
        return len(self.order_ids)

    @property
    def discount_amount(self) -> Decimal:
        return self.platform_amount + self.store_amount

    @property
    def redemption_rate(self) -> str:
        if not self.issued:
            return ""
        return f"{100 * (self.used or 0) / self.issued:.1f}%"


def promotion_report(*, user) -> list[PromotionReportRow]:
    """One row per discount code used on the user's stores' paid orders: the goods discounts
    each line keeps, and the freight a free-shipping coupon waived on each order (5 queries)."""
    paid = scope_to_user_stores(Order.objects.filter(paid_at__isnull=False), user)
    shares = OrderLineDiscount.objects.filter(line__order__in=paid).values_list(
        "code", "label", "funder", "amount", "line__order_id"
    )
    waivers = (
        paid.filter(freight_discount_amount__gt=0)
        .exclude(freight_discount_code="")
        .values_list(
            "freight_discount_code", "freight_discount_funder", "freight_discount_amount", "pk"
        )
    )
    rows: dict[str, PromotionReportRow] = {}
    spent = [*shares, *((code, "", funder, amount, pk) for code, funder, amount, pk in waivers)]
    for code, label, funder, amount, order_id in spent:
        row = rows.setdefault(code, PromotionReportRow(code=code, label=label))
        row.order_ids.add(order_id)
        if funder == "platform":
            row.platform_amount += amount
        else:
            row.store_amount += amount
    order_ids = {pk for row in rows.values() for pk in row.order_ids}
    orders = {
        o["pk"]: o
        for o in Order.objects.filter(pk__in=order_ids).values(
            "pk", "buyer_id", "paid_at", "total_amount"
        )
    }
    first_paid = dict(
        Order.objects.filter(buyer_id__in={o["buyer_id"] for o in orders.values()})
        .filter(paid_at__isnull=False)
        .values("buyer_id")
        .annotate(first=Min("paid_at"))
        .values_list("buyer_id", "first")
        .order_by()
    )
    coupon_ids = [int(code.split(":")[1]) for code in rows if code.startswith("coupon:")]
    counters = {
        c.pk: c
        for c in Coupon.objects.filter(pk__in=coupon_ids).only("name", "issued_count", "used_count")
    }
    for row in rows.values():
        buyers_new = set()
        for order_id in row.order_ids:
            order = orders[order_id]
            row.gmv += order["total_amount"]
            if first_paid.get(order["buyer_id"]) == order["paid_at"]:
                buyers_new.add(order["buyer_id"])
        row.new_buyers = len(buyers_new)
        if row.code.startswith("coupon:"):
            coupon = counters.get(int(row.code.split(":")[1]))
            if coupon is not None:
                row.issued, row.used = coupon.issued_count, coupon.used_count
                row.label = row.label or coupon.name  # a free-shipping waiver keeps no label
    return sorted(rows.values(), key=lambda r: (-r.discount_amount, r.code))


HEADER = [
    _("优惠"),
    _("类型"),
    _("订单数"),
    _("成交额"),
    _("平台出资"),
    _("店铺出资"),
    _("新客数"),
    _("发放"),
    _("使用"),
    _("核销率"),
]


def _csv_row(row: PromotionReportRow) -> list[str]:
    return [
        row.label or row.code,
        row.kind,
        str(row.orders),
        f"{row.gmv:.2f}",
        f"{row.platform_amount:.2f}",
        f"{row.store_amount:.2f}",
        str(row.new_buyers),
        "" if row.issued is None else str(row.issued),
        "" if row.used is None else str(row.used),
        row.redemption_rate,
    ]


@staff_member_required
def promotion_report_view(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("orders.view_order"):
        raise PermissionDenied
    rows = promotion_report(user=request.user)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="promotions.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow(HEADER)
        writer.writerows(_csv_row(row) for row in rows)
        return response
    return TemplateResponse(
        request,
        "admin/orders/promotion_report.html",
        {"title": _("营销报表"), "header": HEADER, "rows": [_csv_row(r) for r in rows]},
    )
