"""The scopes an app token may carry and the webhook events an app may subscribe to.

A view declares what it asks of an app token with `required_scopes` (apps.core.api
.view_required_scope reads it): a string for every method, or a dict by method,

    required_scopes = {"GET": "orders:read", "POST": "orders:write"}

A view that declares none refuses app tokens (403). Scopes narrow what the token's acting user
may do; they never widen it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    CATALOG_READ = "catalog:read", _("读取商品")
    CATALOG_WRITE = "catalog:write", _("管理商品")
    ORDERS_READ = "orders:read", _("读取订单、包裹与售后")
    ORDERS_WRITE = "orders:write", _("处理订单与售后")
    LOGISTICS_WRITE = "logistics:write", _("发货与物流轨迹")
    TRACE_READ = "trace:read", _("读取追溯数据")
    ANALYTICS_READ = "analytics:read", _("读取数据分析")
    WEBHOOKS_MANAGE = "webhooks:manage", _("管理事件推送订阅")


class EventType(models.TextChoices):
    ORDER_PAID = "order.paid", _("订单已支付")
    ORDER_CANCELLED = "order.cancelled", _("订单已取消")
    ORDER_COMPLETED = "order.completed", _("订单已完成")
    AFTERSALE_UPDATED = "aftersale.updated", _("售后单状态变化")
    SHIPMENT_UPDATED = "shipment.updated", _("包裹状态变化")
    LOT_RECALLED = "lot.recalled", _("批次召回")
    PRICE_ALERT = "price.alert", _("价格预警")
