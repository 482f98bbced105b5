"""Pure rules shared by the cart (which flags problems) and checkout (which refuses them)."""

from django.conf import settings
from django.utils.translation import gettext as _

from apps.catalog.models import Product, Sku
from apps.stores.models import Store

# One line may not ask for more than this (a typo of 100000 is not an order).
MAX_LINE_QUANTITY = getattr(settings, "ORDER_MAX_LINE_QUANTITY", 9999)
MAX_CART_LINES = 50


def sku_problem(*, sku: Sku, quantity: int, min_quantity: int = 1) -> str:
    """Why this SKU cannot be bought in this quantity now ("" when it can).

    Expects `sku.product.store` loaded. The order of checks is the order a shopper cares about:
    gone before sold out before too many.
    """
    product = sku.product
    if product.store.status != Store.Status.ACTIVE:
        return _("店铺暂停营业")
    if product.status != Product.Status.ON_SALE:
        return _("商品已下架")
    if not sku.is_active:
        return _("该规格已停售")
    if sku.is_held:
        # Kept by traceability: a recalled or held lot and no other active lot for this SKU.
        return _("该批次已召回，暂停销售")
    available = sku.available
    if available <= 0:
        return _("已售罄")
    if quantity > available:
        return _("库存不足，仅剩 %(n)d 件") % {"n": available}
    if quantity < min_quantity:
        return _("批发起订量为 %(n)d 件") % {"n": min_quantity}
    if quantity > MAX_LINE_QUANTITY:
        return _("单件商品最多购买 %(n)d 件") % {"n": MAX_LINE_QUANTITY}
    return ""
