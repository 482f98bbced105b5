"""Writes of channels: listings, and channel orders placed through the orders app.

A channel order is an ordinary paid order of the store (orders.services.external): stock is
reserved by the same guarded UPDATE as a checkout, it is shipped, traced, completed and settled
the same way. The ChannelOrder row that links it to (channel, channel order number) is written
in the same transaction, so a repeat finds it, and a refused order leaves nothing behind.
"""

import csv
import io
import logging
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.catalog.models import Sku
from apps.channels.errors import ChannelErrorCode
from apps.channels.models import Channel, ChannelListing, ChannelOrder
from apps.core.errors import ApplicationError
from apps.core.money import to_money
from apps.core.text import csv_decode
from apps.orders.models import ZERO
from apps.orders.services.external import (
    ExternalLine,
    external_address_snapshot,
    order_place_external,
)
from apps.stores.models import Store

logger = logging.getLogger(__name__)

EXTERNAL_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
PLACE_ATTEMPTS = 3
CSV_MAX_BYTES = 2 * 1024 * 1024
CSV_MAX_ROWS = 2000


def _invalid(message: str, code: str, **fields) -> ApplicationError:
    return ApplicationError(message, code=code, fields={k: [v] for k, v in fields.items()})


# --- Listings ---------------------------------------------------------------------------------


def listing_validate(
    *,
    store: Store,
    channel: Channel,
    sku_id,
    channel_item_id: str,
    channel_price,
    listing: ChannelListing | None = None,
) -> tuple[Sku, str, Decimal]:
    """Check a listing before it is saved; returns the SKU, item id and price to store.
    Refuses a SKU of another store (as if unknown), an item id that is not the channel's
    format, a price ≤ 0, and a second listing of the same SKU or item id on the channel."""
    sku = Sku.objects.filter(pk=sku_id, product__store=store).first() if sku_id else None
    if sku is None:
        raise _invalid(
            _("本店没有这个商品规格。"), ChannelErrorCode.LISTING_INVALID, sku=_("无效。")
        )
    channel_item_id = (channel_item_id or "").strip()
    if not EXTERNAL_ID_PATTERN.fullmatch(channel_item_id):
        raise _invalid(
            _("渠道商品编号只能包含字母、数字、- 和 _，最多 40 位。"),
            ChannelErrorCode.LISTING_INVALID,
            channel_item_id=_("无效。"),
        )
    try:
        price = to_money(channel_price)
    except (InvalidOperation, TypeError, ValueError):
        price = ZERO
    if price <= ZERO:
        raise _invalid(
            _("渠道价须大于 0。"), ChannelErrorCode.LISTING_INVALID, channel_price=_("无效。")
        )
    others = ChannelListing.objects.filter(channel=channel)
    if listing is not None and listing.pk:
        others = others.exclude(pk=listing.pk)
    if others.filter(sku=sku).exists():
        raise _invalid(
            _("该规格已在此渠道上架。"), ChannelErrorCode.LISTING_INVALID, sku=_("重复。")
        )
    if others.filter(store=store, channel_item_id=channel_item_id).exists():
        raise _invalid(
            _("渠道商品编号已被本店其他商品使用。"),
            ChannelErrorCode.LISTING_INVALID,
            channel_item_id=_("重复。"),
        )
    return sku, channel_item_id, price


@transaction.atomic
def listing_save(
    *,
    store: Store,
    channel: Channel,
    sku_id,
    channel_item_id: str,
    channel_price,
    is_active: bool = True,
    listing: ChannelListing | None = None,
) -> ChannelListing:
    """Create or update a listing of one of the store's SKUs (listing_validate's rules)."""
    sku, channel_item_id, price = listing_validate(
        store=store,
        channel=channel,
        sku_id=sku_id,
        channel_item_id=channel_item_id,
        channel_price=channel_price,
        listing=listing,
    )
    listing = listing or ChannelListing()
    listing.store = store
    listing.channel = channel
    listing.sku = sku
    listing.channel_item_id = channel_item_id
    listing.channel_price = price
    listing.is_active = bool(is_active)
    listing.save()
    return listing


def listing_delete(*, listing: ChannelListing) -> None:
    """Remove a listing; channel orders already taken keep their orders (they point at those,
    not at the listing)."""
    listing.delete()


# --- Channel orders ---------------------------------------------------------------------------


def channel_buyer_get(*, channel: Channel):
    """The channel's buyer account (created once, locked so two first orders agree)."""
    if channel.buyer_id:
        return channel.buyer
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        if locked.buyer_id is None:
            user = get_user_model().objects.create_user(
                email=f"channel-{channel.code}@channels.invalid",
                password=None,
                name=_("%(channel)s买家") % {"channel": channel.name},
                is_active=False,
            )
            locked.buyer = user
            locked.save(update_fields=["buyer"])
        channel.buyer = locked.buyer
        channel.buyer_id = locked.buyer_id
    return channel.buyer


@dataclass
class ChannelOrderResult:
    channel_order: ChannelOrder
    is_new: bool


def _order_number_validate(number) -> str:
    number = str(number or "").strip()
    if not EXTERNAL_ID_PATTERN.fullmatch(number):
        raise _invalid(
            _("渠道订单号只能包含字母、数字、- 和 _，最多 40 位。"),
            ChannelErrorCode.ORDER_NUMBER_INVALID,
            channel_order_number=_("无效。"),
        )
    return number


def _existing(store: Store, channel: Channel, number: str) -> ChannelOrder | None:
    return (
        ChannelOrder.objects.select_related("order", "channel", "store")
        .filter(store=store, channel=channel, channel_order_number=number)
        .first()
    )


def _external_lines(store: Store, channel: Channel, lines: list[dict]) -> list[ExternalLine]:
    """Each requested line ({"sku": id} or {"channel_item_id": …}, "quantity") → the store's
    active listing on this channel and its price; the same listing twice adds up."""
    if not lines:
        raise _invalid(_("订单没有商品。"), ChannelErrorCode.LISTING_NOT_FOUND, lines=_("必填。"))
    listings = ChannelListing.objects.filter(store=store, channel=channel, is_active=True)
    by_sku = {listing.sku_id: listing for listing in listings}
    by_item = {listing.channel_item_id: listing for listing in by_sku.values()}
    quantities: dict[int, int] = {}
    unknown = {}
    for index, line in enumerate(lines):
        sku_id, item_id = line.get("sku"), line.get("channel_item_id")
        listing = by_sku.get(sku_id) if sku_id is not None else by_item.get(item_id)
        if listing is None:
            unknown[str(sku_id if sku_id is not None else item_id or index)] = _(
                "本店在此渠道没有这个商品。"
            )
            continue
        quantities[listing.sku_id] = quantities.get(listing.sku_id, 0) + int(line["quantity"])
    if unknown:
        raise ApplicationError(
            _("订单中有本店未在%(channel)s上架的商品。") % {"channel": channel.name},
            code=ChannelErrorCode.LISTING_NOT_FOUND,
            fields={"lines": unknown},
        )
    return [
        ExternalLine(sku_id=sku_id, quantity=quantity, unit_price=by_sku[sku_id].channel_price)
        for sku_id, quantity in sorted(quantities.items())
    ]


def channel_order_place(
    *,
    actor,
    store: Store,
    channel: Channel,
    channel_order_number: str,
    lines: list[dict],
    address: dict,
    freight_amount: Decimal = ZERO,
    buyer_note: str = "",
    source: str = "api",
) -> ChannelOrderResult:
    """Take in one channel order: a paid order of `store` at the listings' channel prices.

    Idempotent on (store, channel, channel order number): a repeat returns the order already
    placed (is_new False), also when two arrive at once (the second waits on the payment
    order's unique key and then finds the first). Refuses, nothing written: an invalid number
    or address, an item not listed by the store on this channel (unknown SKU, another store's
    SKU), what cannot be sold now or beyond the available stock (orders.services.external).
    """
    number = _order_number_validate(channel_order_number)
    buyer = channel_buyer_get(channel=channel)
    for _attempt in range(PLACE_ATTEMPTS):
        existing = _existing(store, channel, number)
        if existing is not None:
            return ChannelOrderResult(channel_order=existing, is_new=False)
        snapshot = external_address_snapshot(**address)
        external = _external_lines(store, channel, lines)
        try:
            with transaction.atomic():
                order = order_place_external(
                    store=store,
                    buyer=buyer,
                    lines=external,
                    address=snapshot,
                    idempotency_key=f"ch:{store.pk}:{channel.pk}:{number}",
                    actor=actor,
                    reason=_("%(channel)s渠道订单 %(number)s（渠道已收款）")
                    % {"channel": channel.name, "number": number},
                    reference=f"{channel.code}:{number}",
                    freight_amount=freight_amount,
                    buyer_note=buyer_note,
                )
                channel_order = ChannelOrder.objects.create(
                    store=store,
                    channel=channel,
                    channel_order_number=number,
                    order=order,
                    source=source,
                    created_by=actor if getattr(actor, "pk", None) else None,
                )
        except IntegrityError:
            logger.info("channel order %s:%s placed concurrently; replaying", channel.code, number)
            continue
        return ChannelOrderResult(channel_order=channel_order, is_new=True)
    raise ApplicationError(
        _("渠道订单提交失败，请重试。"), code=ChannelErrorCode.ORDER_CONFLICT, status_code=409
    )


# --- CSV upload (admin) -----------------------------------------------------------------------

CSV_COLUMNS = [
    "channel_order_number",
    "channel_item_id",
    "quantity",
    "contact_name",
    "contact_phone",
    "county_code",
    "detail",
    "freight_amount",
]


@dataclass
class CsvOrderOutcome:
    channel_order_number: str
    channel_order: ChannelOrder | None
    is_new: bool
    error: str = ""


def _csv_rows(raw: bytes) -> list[dict]:
    if len(raw) > CSV_MAX_BYTES:
        raise ApplicationError(_("文件不能超过 2 MB。"), code=ChannelErrorCode.CSV_INVALID)
    decoded = csv_decode(raw)
    if decoded is None:
        raise ApplicationError(
            _("无法识别文件编码，请保存为 UTF-8 CSV。"), code=ChannelErrorCode.CSV_INVALID
        )
    text = decoded[0]
    reader = csv.DictReader(io.StringIO(text))
    missing = [
        c for c in CSV_COLUMNS if c != "freight_amount" and c not in (reader.fieldnames or [])
    ]
    if missing:
        raise ApplicationError(
            _("缺少列：%(columns)s。") % {"columns": "、".join(missing)},
            code=ChannelErrorCode.CSV_INVALID,
        )
    rows = list(reader)
    if not rows or len(rows) > CSV_MAX_ROWS:
        raise ApplicationError(
            _("文件须有 1 到 %(n)d 行数据。") % {"n": CSV_MAX_ROWS},
            code=ChannelErrorCode.CSV_INVALID,
        )
    return rows


def _csv_quantity(value, line_number: int) -> int:
    try:
        quantity = int(str(value).strip())
    except ValueError:
        quantity = 0
    if quantity <= 0:
        raise ApplicationError(
            _("第 %(n)d 行：数量须为正整数。") % {"n": line_number},
            code=ChannelErrorCode.CSV_INVALID,
        )
    return quantity


def _csv_money(value, line_number: int) -> Decimal:
    try:
        amount = to_money(str(value or "0").strip() or "0")
    except (InvalidOperation, ValueError):
        amount = Decimal(-1)
    if amount < ZERO:
        raise ApplicationError(
            _("第 %(n)d 行：运费无效。") % {"n": line_number}, code=ChannelErrorCode.CSV_INVALID
        )
    return amount


def channel_orders_import_csv(
    *, actor, store: Store, channel: Channel, raw: bytes
) -> list[CsvOrderOutcome]:
    """Import a channel's order export: one row per order line (CSV_COLUMNS), rows with the
    same channel order number form one order (its first row gives the address and freight).

    A malformed file (columns, encoding, a bad quantity or freight) is refused whole before
    anything is placed. Then each order is placed on its own through channel_order_place, in
    its own transaction: a refused order (say beyond stock) is reported with its reason and
    leaves nothing behind, the others are placed; a repeated number returns the existing order.
    """
    grouped: dict[str, dict] = {}
    for line_number, row in enumerate(_csv_rows(raw), start=2):
        number = (row.get("channel_order_number") or "").strip()
        entry = grouped.setdefault(
            number,
            {
                "lines": [],
                "address": {
                    "contact_name": row.get("contact_name") or "",
                    "contact_phone": row.get("contact_phone") or "",
                    "county_code": row.get("county_code") or "",
                    "detail": row.get("detail") or "",
                },
                "freight_amount": _csv_money(row.get("freight_amount"), line_number),
            },
        )
        entry["lines"].append(
            {
                "channel_item_id": (row.get("channel_item_id") or "").strip(),
                "quantity": _csv_quantity(row.get("quantity"), line_number),
            }
        )
    outcomes = []
    for number, entry in grouped.items():
        try:
            result = channel_order_place(
                actor=actor,
                store=store,
                channel=channel,
                channel_order_number=number,
                source="csv",
                **entry,
            )
        except ApplicationError as exc:
            outcomes.append(CsvOrderOutcome(number, None, False, exc.message))
            continue
        outcomes.append(CsvOrderOutcome(number, result.channel_order, result.is_new))
    return outcomes
