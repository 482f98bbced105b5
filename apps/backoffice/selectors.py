"""The workbench: the admin's first page, today's work for the person looking at it.

A merchant sees its own stores' work (every count goes through the one tenant scope,
stores.selectors.scope_to_user_stores); platform staff see the platform's queues. Each tile
counts what the linked, filtered change list shows, so a click lands on exactly those rows.
The rules (what is late, low, near expiry) belong to the apps that own the data; this module
only asks them.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.selectors import notification_unread_count
from apps.aftersales.models import AfterSale
from apps.aftersales.selectors import aftersale_response_deadline, aftersales_awaiting_merchant
from apps.catalog.models import Product, Sku
from apps.catalog.selectors import skus_low_stock
from apps.logistics.models import Shipment
from apps.orders.models import DeliveryOption, Order, ShippingTemplate
from apps.orders.selectors import (
    SalesFigures,
    orders_ship_late,
    orders_to_ship,
    paid_order_figures,
)
from apps.settlement.periods import period_containing
from apps.settlement.selectors import store_balances_for_user
from apps.stores.models import Store, StoreApplication
from apps.stores.selectors import (
    scope_to_user_stores,
    store_ids_for_user,
    user_can_manage_all_stores,
)
from apps.traceability.models import Certificate, Lot, Party, TraceCodeBatch
from apps.traceability.selectors import lots_near_expiry, lots_recalled_recently
from apps.wholesale.models import BuyerOrganisation


def is_platform_staff(user: User) -> bool:
    return bool(user.is_superuser or user_can_manage_all_stores(user))


@dataclass(frozen=True)
class Tile:
    label: str
    count: int
    url: str
    note: str = ""
    # An urgent tile (overdue, about to lapse) is drawn in the warning colour when not zero.
    urgent: bool = False


@dataclass(frozen=True)
class Step:
    label: str
    url: str
    done: bool


@dataclass
class Workbench:
    for_staff: bool
    tiles: list[Tile] = field(default_factory=list)
    today: SalesFigures | None = None
    week: SalesFigures | None = None
    balance: Decimal | None = None
    unsettled: Decimal | None = None
    next_statement_on: object = None
    checklist: list[Step] = field(default_factory=list)

    @property
    def checklist_open(self) -> bool:
        return any(not step.done for step in self.checklist)


def _changelist(model, **filters) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    if filters:
        url += "?" + "&".join(f"{key}={value}" for key, value in filters.items())
    return url


def _time_left(deadline: datetime, now: datetime) -> str:
    hours = (deadline - now).total_seconds() / 3600
    if hours <= 0:
        return _("最早一单已到期，即将由系统自动同意")
    if hours < 1:
        return _("最早一单剩余不到 1 小时")
    return _("最早一单剩余 %(hours)d 小时") % {"hours": int(hours)}


def _day_and_week_start(now: datetime) -> tuple[datetime, datetime]:
    local = timezone.localtime(now)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return day, day - timedelta(days=local.weekday())


def _figures(board: Workbench, orders, now: datetime) -> None:
    day, week = _day_and_week_start(now)
    board.today = paid_order_figures(orders, since=day)
    board.week = paid_order_figures(orders, since=week)


def merchant_workbench(user: User, *, now: datetime | None = None) -> Workbench:
    now = now or timezone.now()
    board = Workbench(for_staff=False)
    orders = scope_to_user_stores(Order.objects.all(), user)
    aftersales = aftersales_awaiting_merchant(scope_to_user_stores(AfterSale.objects.all(), user))
    first_waiting = aftersales.first()
    lots = scope_to_user_stores(Lot.objects.all(), user)
    skus = scope_to_user_stores(Sku.objects.all(), user, store_field="product__store")
    board.tiles = [
        Tile(
            _("待发货订单"),
            orders_to_ship(orders).count(),
            _changelist(Order, status__exact="paid"),
        ),
        Tile(
            _("超时未发货"),
            orders_ship_late(orders, now=now).count(),
            _changelist(Order, ship_late="yes"),
            urgent=True,
        ),
        Tile(
            _("待处理售后"),
            aftersales.count(),
            _changelist(AfterSale, status__exact="requested"),
            note=_time_left(aftersale_response_deadline(first_waiting), now)
            if first_waiting
            else "",
            urgent=True,
        ),
        Tile(_("库存不足的规格"), skus_low_stock(skus).count(), _changelist(Sku, low_stock="yes")),
        Tile(_("临期批次"), lots_near_expiry(lots).count(), _changelist(Lot, near_expiry="yes")),
        Tile(_("未读消息"), notification_unread_count(user=user), reverse("accounts:inbox")),
    ]
    _figures(board, orders, now)
    stores = list(store_balances_for_user(user=user))
    board.balance = sum((store.balance for store in stores), Decimal("0.00"))
    board.unsettled = sum((store.unsettled for store in stores), Decimal("0.00"))
    _start, last_day = period_containing(timezone.localdate(now))
    board.next_statement_on = last_day + timedelta(days=1)
    board.checklist = merchant_checklist(user)
    return board


def merchant_checklist(user: User) -> list[Step]:
    """A new merchant's first steps, each linked and ticked once done: a store that can sell
    and trace its produce. Empty for a user without a store."""
    store_ids = store_ids_for_user(user)
    if not store_ids:
        return []
    store = Store.objects.filter(pk=store_ids[0]).only("pk", "description", "banner").get()
    mine = {"store_id__in": store_ids}

    def has(model, **filters) -> bool:
        return model.objects.filter(**mine, **filters).exists()

    def add(model) -> str:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")

    return [
        Step(
            _("完善店铺资料（简介、店招）"),
            reverse("admin:stores_store_change", args=[store.pk]),
            bool(store.description and store.banner),
        ),
        Step(
            _("设置配送方式与运费"),
            _changelist(ShippingTemplate),
            has(ShippingTemplate) or has(DeliveryOption),
        ),
        Step(_("发布第一个商品"), add(Product), has(Product)),
        Step(_("添加生产者（追溯主体）"), add(Party), has(Party)),
        Step(_("登记第一个批次"), add(Lot), has(Lot)),
        Step(_("上传承诺达标合格证"), add(Certificate), has(Certificate)),
        Step(_("打印溯源码"), add(TraceCodeBatch), has(TraceCodeBatch)),
    ]


def staff_workbench(user: User, *, now: datetime | None = None) -> Workbench:
    now = now or timezone.now()
    board = Workbench(for_staff=True)
    overdue = Shipment.objects.filter(is_overdue=True).exclude(status=Shipment.Status.DELIVERED)
    board.tiles = [
        Tile(
            _("待审核的开店申请"),
            StoreApplication.objects.filter(status=StoreApplication.Status.SUBMITTED).count(),
            _changelist(StoreApplication, status__exact="submitted"),
        ),
        Tile(
            _("待审核的批发买家"),
            BuyerOrganisation.objects.filter(status=BuyerOrganisation.Status.PENDING).count(),
            _changelist(BuyerOrganisation, status__exact="pending"),
        ),
        Tile(
            _("待平台裁决的售后"),
            AfterSale.objects.filter(status=AfterSale.Status.DISPUTED).count(),
            _changelist(AfterSale, status__exact="disputed"),
            urgent=True,
        ),
        Tile(
            _("超时包裹"),
            overdue.count(),
            _changelist(Shipment, is_overdue__exact="1"),
            urgent=True,
        ),
        Tile(
            _("30 天内召回的批次"),
            lots_recalled_recently(Lot.objects.all()).count(),
            _changelist(Lot, status__exact="recalled"),
        ),
        Tile(_("未读消息"), notification_unread_count(user=user), reverse("accounts:inbox")),
    ]
    _figures(board, Order.objects.all(), now)
    return board


def workbench_for(user: User) -> Workbench:
    return staff_workbench(user) if is_platform_staff(user) else merchant_workbench(user)
