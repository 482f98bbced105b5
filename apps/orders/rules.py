"""Pure rules shared by the cart (which flags problems) and checkout (which refuses them)."""

from typing import NamedTuple

from django.conf import settings
from django.utils.translation import gettext as _

from apps.catalog.models import Product, Sku
from apps.orders.errors import OrderErrorCode
from apps.stores.models import Store

# One line may not ask for more than this (a typo of 100000 is not an order).
MAX_LINE_QUANTITY = getattr(settings, "ORDER_MAX_LINE_QUANTITY", 9999)
MAX_CART_LINES = 50


class SkuProblem(NamedTuple):
    """Why a SKU cannot be bought: an error code (what a client acts on) and the message."""

    code: OrderErrorCode
    message: str

    @property
    def is_stock_only(self) -> bool:
        """Only the quantity is wrong for the stock: fewer pieces would sell (HTTP 409)."""
        return self.code == OrderErrorCode.OUT_OF_STOCK

    def about(self, sku: Sku) -> str:
        """The message naming the goods: 「五常大米 5kg/袋」已售罄."""
        return _("「%(title)s %(spec)s」%(problem)s") % {
            "title": sku.product.title,
            "spec": sku.spec,
            "problem": self.message,
        }


def sku_problem(
    *, sku: Sku, quantity: int, min_quantity: int = 1, lot_blocked: bool = False
) -> SkuProblem | None:
    """Why this SKU cannot be bought in this quantity now (None when it can).

    Expects `sku.product.store` loaded. `lot_blocked`: traceability's live check found a recall
    or hold covering the SKU and no other lot supplying it (the cart and checkout ask it once
    per cart). The order of checks is the order a shopper cares about: gone before sold out
    before too many.
    """
    product = sku.product
    if lot_blocked:
        return SkuProblem(OrderErrorCode.NOT_SELLABLE, _("该商品批次已召回或暂停销售"))
    if product.store.status != Store.Status.ACTIVE:
        return SkuProblem(OrderErrorCode.NOT_SELLABLE, _("店铺暂停营业"))
    if product.status != Product.Status.ON_SALE:
        return SkuProblem(OrderErrorCode.NOT_SELLABLE, _("商品已下架"))
    if not sku.is_active:
        return SkuProblem(OrderErrorCode.NOT_SELLABLE, _("该规格已停售"))
    if sku.is_held:
        # Kept by traceability: a recalled or held lot and no other active lot for this SKU.
        return SkuProblem(OrderErrorCode.NOT_SELLABLE, _("该批次已召回，暂停销售"))
    available = sku.available
    if available <= 0:
        return SkuProblem(OrderErrorCode.OUT_OF_STOCK, _("已售罄"))
    if quantity > available:
        return SkuProblem(
            OrderErrorCode.OUT_OF_STOCK, _("库存不足，仅剩 %(n)d 件") % {"n": available}
        )
    if quantity < min_quantity:
        return SkuProblem(
            OrderErrorCode.BELOW_MINIMUM, _("批发起订量为 %(n)d 件") % {"n": min_quantity}
        )
    if quantity > MAX_LINE_QUANTITY:
        return SkuProblem(
            OrderErrorCode.INVALID_QUANTITY,
            _("单件商品最多购买 %(n)d 件") % {"n": MAX_LINE_QUANTITY},
        )
    return None
