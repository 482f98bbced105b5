"""Orders sold elsewhere and already paid there (channel orders from 淘宝, 京东 … through
apps.channels, which sits above orders).

They take the checkout's path wherever it matters: the payment order is inserted first (its
unique idempotency key is the lock a concurrent repeat waits on), the SKUs are locked in id
order, every line is checked with the cart's own rule (`sku_problem`, with traceability's live
lot check), stock is reserved by the one guarded UPDATE (`checkout.stock_reserve`), the Order
keeps snapshot lines and a "placed" event, and `payment_order_mark_paid` makes it paid. From
there it is shipped, traced, completed and settled like any order. The unit prices are the
caller's (the channel listing's price, read from the database), never a request's.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.catalog.models import ProductImage, Sku
from apps.core.errors import ApplicationError
from apps.core.money import to_money
from apps.core.validators import model_fields_validate
from apps.orders.errors import OrderErrorCode
from apps.orders.models import (
    ZERO,
    Address,
    DeliveryMethod,
    Division,
    Order,
    OrderEvent,
    OrderLine,
    PaymentOrder,
)
from apps.orders.pricing import cold_chain_titles
from apps.orders.rules import MAX_LINE_QUANTITY, sku_problem
from apps.orders.selectors import product_image_path
from apps.orders.services.checkout import (
    _payment_order_open,
    idempotency_key_validate,
    order_number_new,
    stock_reserve,
)
from apps.orders.services.lifecycle import payment_order_mark_paid
from apps.stores.models import Store
from apps.traceability.selectors import sku_ids_blocked_by_lots


@dataclass(frozen=True)
class ExternalLine:
    sku_id: int
    quantity: int
    unit_price: Decimal


def external_address_snapshot(
    *, contact_name: str, contact_phone: str, detail: str, county_code: str = ""
) -> dict:
    """The Order.address snapshot of a recipient given as text (a channel's export), with the
    province/city/county names filled in from the division table when a known county code is
    given. Refuses (ApplicationError, field `address.<name>`) an empty or invalid name, phone
    or detail."""
    contact_name, contact_phone = (contact_name or "").strip(), (contact_phone or "").strip()
    detail, county_code = (detail or "").strip(), (county_code or "").strip()
    errors = {}
    for name, value, limit in (
        ("contact_name", contact_name, 30),
        ("contact_phone", contact_phone, 20),
        ("detail", detail, 120),
    ):
        if not value:
            errors[f"address.{name}"] = [_("必填。")]
        elif len(value) > limit:
            errors[f"address.{name}"] = [_("最多 %(n)d 个字符。") % {"n": limit}]
    if not errors:
        try:
            model_fields_validate(Address, contact_name=contact_name, detail=detail)
        except ApplicationError as exc:
            errors = {f"address.{name}": messages for name, messages in exc.fields.items()}
    divisions = {}
    if county_code:
        divisions = Division.objects.in_bulk([county_code[:2], county_code[:4], county_code[:6]])
        if county_code[:6] not in divisions or len(county_code) != 6:
            errors["address.county_code"] = [_("未知的区县代码。")]
    if errors:
        raise ApplicationError(
            next(iter(errors.values()))[0], code=OrderErrorCode.ADDRESS_NOT_FOUND, fields=errors
        )
    snapshot = {"contact_name": contact_name, "contact_phone": contact_phone, "detail": detail}
    region = ""
    for level, length in (("province", 2), ("city", 4), ("county", 6)):
        division = divisions.get(county_code[:length]) if county_code else None
        snapshot[f"{level}_code"] = division.code if division else ""
        snapshot[f"{level}_name"] = division.name if division else ""
        if division and division.name not in ("市辖区", "县"):
            region += division.name
    snapshot.update(township_code="", township_name="", region_text=region)
    snapshot["full_text"] = region + detail
    return snapshot


def _refuse_lines(message: str, code: str, problems: dict[str, str], status: int) -> None:
    raise ApplicationError(message, code=code, fields={"lines": problems}, status_code=status)


def _skus_locked(store: Store, lines: list[ExternalLine]) -> dict[int, Sku]:
    """The lines' SKUs, locked in id order like a checkout's; a SKU that does not exist or
    belongs to another store is refused alike (ids reveal nothing)."""
    skus = {
        sku.pk: sku
        for sku in Sku.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk__in=[line.sku_id for line in lines])
        .select_related("product__store")
        .prefetch_related(
            Prefetch("product__images", queryset=ProductImage.objects.order_by("sort_order", "id"))
        )
        .order_by("pk")
    }
    unknown = {
        str(line.sku_id): _("本店没有这个商品规格。")
        for line in lines
        if line.sku_id not in skus or skus[line.sku_id].product.store_id != store.pk
    }
    if unknown:
        _refuse_lines(
            _("订单中有本店不存在的商品规格。"), OrderErrorCode.SKU_NOT_FOUND, unknown, 400
        )
    return skus


@transaction.atomic
def order_place_external(
    *,
    store: Store,
    buyer,
    lines: list[ExternalLine],
    address: dict,
    idempotency_key: str,
    actor,
    reason: str,
    reference: str,
    freight_amount: Decimal = ZERO,
    buyer_note: str = "",
) -> Order:
    """Place one paid order of `store` for `buyer` (the channel's buyer account).

    The caller keeps the idempotency (a repeat with the same key raises IntegrityError from the
    payment order's unique key, for the caller to answer with the first order). Refuses with
    ApplicationError, nothing written: no lines, a quantity outside 1..MAX_LINE_QUANTITY, a
    repeated SKU, a SKU not of this store (400), a line that cannot be sold now or beyond the
    available stock (409, `fields.lines.<sku id>`).
    """
    key = idempotency_key_validate(idempotency_key)
    freight_amount = to_money(freight_amount)
    if not lines:
        raise ApplicationError(
            _("订单没有商品。"), code=OrderErrorCode.CART_EMPTY, fields={"lines": [_("必填。")]}
        )
    if len({line.sku_id for line in lines}) != len(lines):
        raise ApplicationError(
            _("同一商品规格请合并为一行。"),
            code=OrderErrorCode.INVALID_QUANTITY,
            fields={"lines": [_("商品规格重复。")]},
        )
    bad = {
        str(line.sku_id): _("购买数量须在 1 到 %(n)d 之间。") % {"n": MAX_LINE_QUANTITY}
        for line in lines
        if not 1 <= line.quantity <= MAX_LINE_QUANTITY
    }
    if bad:
        _refuse_lines(next(iter(bad.values())), OrderErrorCode.INVALID_QUANTITY, bad, 400)
    if freight_amount < ZERO or any(line.unit_price < ZERO for line in lines):
        raise ApplicationError(
            _("金额不能为负。"), code="invalid", fields={"freight_amount": [_("金额不能为负。")]}
        )
    model_fields_validate(Order, buyer_note=buyer_note)
    now = timezone.now()
    # Inserted first (the amount follows once priced): a same-key twin waits on its unique
    # index before locking anything.
    payment_order = _payment_order_open(
        buyer=buyer,
        key=key,
        method=PaymentOrder.Method.ONLINE,
        number=order_number_new(now),
        amount=ZERO,
        now=now,
    )
    skus = _skus_locked(store, lines)
    blocked = sku_ids_blocked_by_lots(skus)
    problems = {}
    for line in lines:
        sku = skus[line.sku_id]
        problem = sku_problem(
            sku=sku, quantity=line.quantity, lot_blocked=line.sku_id in blocked or sku.is_held
        )
        if problem:
            problems[line.sku_id] = problem
    if problems:
        stock_only = all(p.code == OrderErrorCode.OUT_OF_STOCK for p in problems.values())
        texts = {str(pk): p.about(skus[pk]) for pk, p in problems.items()}
        _refuse_lines(
            _("以下商品无法下单：%(lines)s。") % {"lines": "；".join(texts.values())},
            OrderErrorCode.OUT_OF_STOCK if stock_only else OrderErrorCode.CART_HAS_PROBLEMS,
            texts,
            409,
        )
    stock_reserve([(skus[line.sku_id], line.quantity) for line in lines])
    amounts = [to_money(line.unit_price * line.quantity) for line in lines]
    goods_amount = to_money(sum(amounts, ZERO))
    total = goods_amount + freight_amount
    payment_order.amount = total
    payment_order.save(update_fields=["amount"])
    products = [skus[line.sku_id].product for line in lines]
    order = Order.objects.create(
        number=f"{payment_order.number}01",
        payment_order=payment_order,
        buyer=buyer,
        store=store,
        address=address,
        goods_amount=goods_amount,
        freight_amount=freight_amount,
        total_amount=total,
        delivery_method=DeliveryMethod.EXPRESS,
        is_cold_chain=bool(cold_chain_titles(products)),
        commission_rate=store.commission_rate,
        buyer_note=(buyer_note or "").strip()[:200],
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            sku=skus[line.sku_id],
            product=skus[line.sku_id].product,
            title=skus[line.sku_id].product.title[:120],
            spec=skus[line.sku_id].spec[:60],
            image=product_image_path(skus[line.sku_id].product)[:255],
            unit_price=to_money(line.unit_price),
            quantity=line.quantity,
            line_amount=amount,
            paid_amount=amount,
        )
        for line, amount in zip(lines, amounts, strict=True)
    )
    OrderEvent.objects.create(
        order=order,
        from_status="",
        to_status=order.status,
        kind="placed",
        actor=actor,
        reason=reason,
        payload={"payment_order": payment_order.number, "reference": reference},
    )
    payment_order_mark_paid(
        payment_order=payment_order, paid_at=now, actor=actor, reference=reference, reason=reason
    )
    order.refresh_from_db()
    return order
