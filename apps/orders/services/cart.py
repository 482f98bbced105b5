"""Cart writes. A guest's cart is found by a random token kept in the session (it survives the
session-key change at log-in); a signed-in shopper's cart by user. Merged at log-in."""

import secrets

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from apps.catalog.models import Sku
from apps.core.errors import ApplicationError, NotFoundError
from apps.core.prepared import PreparedQuery
from apps.orders.errors import OrderErrorCode
from apps.orders.models import Cart, CartLine
from apps.orders.rules import MAX_CART_LINES, MAX_LINE_QUANTITY, sku_problem

CART_SESSION_KEY = "orders_cart_token"
CART_COUNT_SESSION_KEY = "orders_cart_count"


CART_OF_USER = PreparedQuery(lambda p: Cart.objects.filter(user_id=p.user).order_by("pk")[:1])


def cart_get(*, user=None, token: str | None = None) -> Cart | None:
    if user is not None and user.is_authenticated:
        found = CART_OF_USER.run(user=user.pk)
        return found[0] if found else None
    if token:
        return Cart.objects.filter(session_key=token, user__isnull=True).first()
    return None


def cart_get_or_create(*, user=None, token: str | None = None) -> Cart:
    """The user's cart, or the guest cart of `token` (create one with a fresh token if None)."""
    lookup = {"user": user} if user is not None and user.is_authenticated else None
    if lookup is None:
        token = token or secrets.token_urlsafe(24)
        lookup = {"session_key": token, "user": None}
    try:
        with transaction.atomic():
            cart, _created = Cart.objects.get_or_create(**lookup)
    except IntegrityError:
        # Two first requests of the same shopper raced; the other one created it.
        cart = Cart.objects.get(**lookup)
    return cart


def quantity_validate(quantity) -> int:
    try:
        quantity = int(quantity)
    except (TypeError, ValueError):
        quantity = 0
    if quantity < 1 or quantity > MAX_LINE_QUANTITY:
        raise ApplicationError(
            _("购买数量须在 1 到 %(n)d 之间。") % {"n": MAX_LINE_QUANTITY},
            code=OrderErrorCode.INVALID_QUANTITY,
            fields={"quantity": _("数量无效。")},
        )
    return quantity


def _sku_for_cart(sku_id) -> Sku:
    try:
        sku_id = int(sku_id)
    except (TypeError, ValueError):
        sku_id = 0
    sku = Sku.objects.select_related("product__store").filter(pk=sku_id).first() if sku_id else None
    if sku is None:
        raise NotFoundError(_("商品不存在。"), code=OrderErrorCode.SKU_NOT_FOUND)
    return sku


def _refuse_unless_buyable(sku: Sku, quantity: int) -> None:
    problem = sku_problem(sku=sku, quantity=quantity)
    if problem is not None:
        raise ApplicationError(
            problem.about(sku) + "。",
            code=problem.code,
            fields={"quantity": problem.message},
            status_code=409 if problem.is_stock_only else 400,
        )


@transaction.atomic
def cart_add(*, cart: Cart, sku_id, quantity) -> CartLine:
    """Add `quantity` of a SKU (on top of what the cart already holds)."""
    quantity = quantity_validate(quantity)
    sku = _sku_for_cart(sku_id)
    line = CartLine.objects.select_for_update().filter(cart=cart, sku=sku).first()
    total = quantity + (line.quantity if line else 0)
    if total > MAX_LINE_QUANTITY:
        quantity_validate(total)
    _refuse_unless_buyable(sku, total)
    if line is not None:
        line.quantity = total
        line.save(update_fields=["quantity", "updated_at"])
        return line
    if CartLine.objects.filter(cart=cart).count() >= MAX_CART_LINES:
        raise ApplicationError(
            _("购物车最多放 %(n)d 种商品，请先结算或删除一些。") % {"n": MAX_CART_LINES},
            code=OrderErrorCode.CART_FULL,
        )
    line = CartLine.objects.create(cart=cart, sku=sku, quantity=total)
    Cart.objects.filter(pk=cart.pk).update(updated_at=line.created_at)
    return line


def _line(cart: Cart, line_id) -> CartLine:
    try:
        line_id = int(line_id)
    except (TypeError, ValueError):
        line_id = 0
    line = (
        CartLine.objects.select_for_update()
        .select_related("sku__product__store")
        .filter(cart=cart, pk=line_id)
        .first()
    )
    if line is None:
        raise NotFoundError(_("购物车中没有这件商品。"), code=OrderErrorCode.SKU_NOT_FOUND)
    return line


@transaction.atomic
def cart_line_set_quantity(*, cart: Cart, line_id, quantity) -> CartLine:
    quantity = quantity_validate(quantity)
    line = _line(cart, line_id)
    if quantity > line.quantity:
        # Lowering a quantity is always allowed (it is how a shopper fixes "库存不足").
        _refuse_unless_buyable(line.sku, quantity)
    line.quantity = quantity
    line.save(update_fields=["quantity", "updated_at"])
    return line


@transaction.atomic
def cart_line_remove(*, cart: Cart, line_id) -> None:
    _line(cart, line_id).delete()


@transaction.atomic
def cart_remove_lines(*, cart: Cart, line_ids: list[int]) -> int:
    deleted, _detail = CartLine.objects.filter(cart=cart, pk__in=line_ids).delete()
    return deleted


@transaction.atomic
def cart_merge(*, user, token: str | None) -> Cart | None:
    """Move a guest cart into the user's cart at log-in (quantities add up, capped by stock).

    Returns the user's cart, or None when there was no guest cart.
    """
    guest = cart_get(token=token) if token else None
    if guest is None:
        return None
    cart = cart_get_or_create(user=user)
    mine = {line.sku_id: line for line in CartLine.objects.select_for_update().filter(cart=cart)}
    guest_lines = list(CartLine.objects.filter(cart=guest).select_related("sku"))
    for line in guest_lines:
        existing = mine.get(line.sku_id)
        if existing is None:
            if len(mine) >= MAX_CART_LINES:
                continue
            line.cart = cart
            line.save(update_fields=["cart", "updated_at"])
            mine[line.sku_id] = line
            continue
        wanted = existing.quantity + line.quantity
        cap = max(line.sku.available, existing.quantity, line.quantity)
        existing.quantity = min(wanted, cap, MAX_LINE_QUANTITY)
        existing.save(update_fields=["quantity", "updated_at"])
    guest.delete()
    return cart


def cart_count(cart: Cart | None) -> int:
    """Pieces in the cart, for the header badge."""
    if cart is None:
        return 0
    return CartLine.objects.filter(cart=cart).aggregate(n=Sum("quantity"))["n"] or 0


def cart_session_merge(*, session, user) -> None:
    """At log-in: fold the session's guest cart into the user's, refresh the header count."""
    if session is None:
        return
    token = session.pop(CART_SESSION_KEY, None)
    cart = cart_merge(user=user, token=token) if token else cart_get(user=user)
    session[CART_COUNT_SESSION_KEY] = cart_count(cart)
