"""Reads of channels: the merchant's listings and channel orders (scoped through
stores.selectors), the product feed of a channel and the sales by channel."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from apps.catalog.models import Product, ProductImage
from apps.channels.errors import ChannelErrorCode
from apps.channels.models import Channel, ChannelListing, ChannelOrder
from apps.core.errors import ApplicationError, NotFoundError
from apps.core.money import to_money
from apps.orders.models import ZERO, Order
from apps.stores.models import Store
from apps.stores.selectors import (
    scope_to_user_stores,
    stores_for_user,
    user_can_manage_all_stores,
)
from apps.traceability.selectors import lot_codes_for_skus, trace_url


def channel_list(*, active_only: bool = True) -> QuerySet[Channel]:
    channels = Channel.objects.all()
    return channels.filter(is_active=True) if active_only else channels


def channel_get(*, code: str) -> Channel:
    channel = Channel.objects.filter(code=code, is_active=True).first()
    if channel is None:
        raise NotFoundError(_("渠道不存在或已停用。"), code=ChannelErrorCode.CHANNEL_NOT_FOUND)
    return channel


def store_for_user(*, user, store_id=None) -> Store:
    """The store a channel call acts for: the one named (must be the user's; staff: any), or
    the merchant's only store. Another store's id is answered like an unknown one (404)."""
    stores = stores_for_user(user)
    if store_id not in (None, ""):
        try:
            store = stores.filter(pk=int(store_id)).first()
        except (TypeError, ValueError):
            store = None
        if store is None:
            raise NotFoundError(_("店铺不存在。"), code=ChannelErrorCode.STORE_REQUIRED)
        return store
    # Staff act for any store, so they always name one; a merchant's only store is implied.
    candidates = [] if user_can_manage_all_stores(user) else list(stores[:2])
    if len(candidates) != 1:
        raise ApplicationError(
            _("请用 store 参数指明店铺。"),
            code=ChannelErrorCode.STORE_REQUIRED,
            fields={"store": [_("必填。")]},
        )
    return candidates[0]


def listing_list_for_user(*, user, channel: Channel | None = None) -> QuerySet[ChannelListing]:
    listings = scope_to_user_stores(
        ChannelListing.objects.select_related("channel", "sku__product", "store"), user
    )
    if channel is not None:
        listings = listings.filter(channel=channel)
    return listings.order_by("channel__sort_order", "id")


def channel_order_list_for_user(*, user, channel: Channel | None = None) -> QuerySet[ChannelOrder]:
    orders = scope_to_user_stores(
        ChannelOrder.objects.select_related("channel", "store", "order"), user
    )
    if channel is not None:
        orders = orders.filter(channel=channel)
    return orders


# --- The product feed of a channel ------------------------------------------------------------


@dataclass(frozen=True)
class FeedItem:
    channel_item_id: str
    sku_id: int
    title: str
    spec: str
    channel_price: Decimal
    stock_available: int
    images: list[str]
    lot_number: str
    trace_url: str

    def as_dict(self) -> dict:
        return {
            "channel_item_id": self.channel_item_id,
            "sku": self.sku_id,
            "title": self.title,
            "spec": self.spec,
            "channel_price": str(self.channel_price),
            "stock_available": self.stock_available,
            "images": self.images,
            "lot_number": self.lot_number,
            "trace_url": self.trace_url,
        }


FEED_COLUMNS = [
    "channel_item_id",
    "sku",
    "title",
    "spec",
    "channel_price",
    "stock_available",
    "images",
    "lot_number",
    "trace_url",
]


FEED_FIELDS = [
    "id",
    "channel_item_id",
    "channel_price",
    "sku__id",
    "sku__spec",
    "sku__stock",
    "sku__reserved",
    "sku__is_held",
    "sku__product__id",
    "sku__product__title",
]


def channel_feed(*, store: Store, channel: Channel, base_url: str = "") -> list[FeedItem]:
    """What `channel` should show of `store`: every active listing of an on-sale product, with
    its channel price, the stock available now (0 while held by a recall), the product's
    images as absolute URLs and the trace page of the lot it sells from. Four queries, whatever
    the number of listings."""
    base_url = (base_url or settings.SITE_URL).rstrip("/")
    listings = list(
        ChannelListing.objects.filter(
            store=store,
            channel=channel,
            is_active=True,
            sku__is_active=True,
            sku__product__status=Product.Status.ON_SALE,
        )
        .select_related("sku__product")
        # Only what the feed prints: a product row is wide (description, search text), and
        # building the model instances is most of the time a 1,000-item feed takes.
        .only(*FEED_FIELDS)
        .prefetch_related(
            Prefetch(
                "sku__product__images",
                queryset=ProductImage.objects.only("id", "product_id", "image").order_by(
                    "sort_order", "id"
                ),
            )
        )
        .order_by("id")
    )
    lots = lot_codes_for_skus(listing.sku_id for listing in listings)
    items = []
    for listing in listings:
        sku, product = listing.sku, listing.sku.product
        lot = lots.get(sku.pk)
        selling = store.status == Store.Status.ACTIVE and not sku.is_held
        items.append(
            FeedItem(
                channel_item_id=listing.channel_item_id,
                sku_id=sku.pk,
                title=product.title,
                spec=sku.spec,
                channel_price=listing.channel_price,
                stock_available=max(0, sku.available) if selling else 0,
                images=[_absolute(image.image.url, base_url) for image in product.images.all()],
                lot_number=lot.lot_number if lot else "",
                trace_url=trace_url(lot.code, base_url=base_url) if lot and lot.code else "",
            )
        )
    return items


def _absolute(url: str, base_url: str) -> str:
    # MEDIA_URL may already be absolute (a CDN or object storage); "/media/…" gets the site.
    return url if url.startswith(("http://", "https://")) else f"{base_url}{url}"


# --- Reports by channel ----------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelSales:
    channel_code: str
    channel_name: str
    orders: int
    goods_amount: Decimal
    total_amount: Decimal


def channel_sales_report(
    *, user, since: datetime | None = None, until: datetime | None = None
) -> list[ChannelSales]:
    """Paid channel orders (not cancelled) per channel within [since, until) of the user's
    stores (staff: all), every active channel listed, one query."""
    condition = Q(orders__order__paid_at__isnull=False) & ~Q(
        orders__order__status=Order.Status.CANCELLED
    )
    if not user_can_manage_all_stores(user):
        condition &= Q(orders__store__in=stores_for_user(user).values("pk"))
    if since is not None:
        condition &= Q(orders__created_at__gte=since)
    if until is not None:
        condition &= Q(orders__created_at__lt=until)
    rows = (
        Channel.objects.filter(is_active=True)
        .annotate(
            order_count=Count("orders", filter=condition),
            goods=Sum("orders__order__goods_amount", filter=condition),
            total=Sum("orders__order__total_amount", filter=condition),
        )
        .order_by("sort_order", "id")
    )
    return [
        ChannelSales(
            channel_code=row.code,
            channel_name=row.name,
            orders=row.order_count,
            # to the fen: the embedded SQLite default sums decimals as floats (12.5)
            goods_amount=to_money(row.goods or ZERO),
            total_amount=to_money(row.total or ZERO),
        )
        for row in rows
    ]
