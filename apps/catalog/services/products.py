"""Writes to products and SKUs. Admin, API and seed data all go through these."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.catalog.errors import CatalogErrorCode
from apps.catalog.models import Product, Sku
from apps.catalog.services.search import SEARCH_FIELDS, product_reindex
from apps.core.errors import ApplicationError
from apps.stores.divisions import division_short_name, is_county_code


def product_refresh_price(*, product: Product) -> None:
    """Keep Product.price_min equal to the cheapest active SKU (used by sort and filters)."""
    price = Sku.objects.filter(product=product, is_active=True).aggregate(p=Min("retail_price"))[
        "p"
    ] or Decimal("0.00")
    if product.price_min != price:
        product.price_min = price
        Product.objects.filter(pk=product.pk).update(price_min=price)


def product_validate_origin(*, product: Product) -> None:
    if product.origin_code:
        if not is_county_code(product.origin_code):
            raise ApplicationError(
                _("产地必须是有效的县级行政区划代码。"),
                code=CatalogErrorCode.UNKNOWN_ORIGIN,
                fields={"origin_code": [_("未知的区划代码。")]},
            )
        if not product.origin_name:
            product.origin_name = division_short_name(product.origin_code) or ""


@transaction.atomic
def product_after_save(*, product: Product, was_on_sale: bool = False) -> Product:
    """What must follow any write of a product or its SKUs: price, publish time, search."""
    if product.status == Product.Status.ON_SALE and product.published_at is None:
        product.published_at = timezone.now()
        Product.objects.filter(pk=product.pk).update(published_at=product.published_at)
    product_refresh_price(product=product)
    product_reindex(product=product)
    return product


@transaction.atomic
def product_save(*, product: Product, skus: list[dict] | None = None) -> Product:
    """Create or update a product (and, if given, its SKUs by spec), then refresh derived data.

    An on-sale product needs at least one active SKU.
    """
    product_validate_origin(product=product)
    product.full_clean(exclude=SEARCH_FIELDS)
    product.save()
    if skus is not None:
        for data in skus:
            sku_save(product=product, **data)
    if (
        product.status == Product.Status.ON_SALE
        and not Sku.objects.filter(product=product, is_active=True).exists()
    ):
        raise ApplicationError(
            _("上架的商品至少需要一个启用的规格。"),
            code=CatalogErrorCode.PRODUCT_NO_SKU,
            fields={"skus": [_("至少需要一个规格。")]},
        )
    return product_after_save(product=product)


@transaction.atomic
def sku_save(*, product: Product, spec: str, tiers: list[dict] | None = None, **fields) -> Sku:
    """Create or update the SKU `spec` of `product`; `tiers` replaces its wholesale tiers."""
    sku = Sku.objects.filter(product=product, spec=spec).first() or Sku(product=product, spec=spec)
    for name, value in fields.items():
        setattr(sku, name, value)
    sku.full_clean()
    sku.save()
    if tiers is not None:
        sku.wholesale_tiers.all().delete()
        for tier in tiers:
            sku.wholesale_tiers.create(
                min_quantity=tier["min_quantity"], unit_price=tier["unit_price"]
            )
    return sku


@transaction.atomic
def product_set_status(*, product: Product, status: str) -> Product:
    product.status = status
    return product_save(product=product)


@transaction.atomic
def products_record_sales(*, quantities: dict[int, int]) -> None:
    """Add paid quantities to Product.sales_count (the storefront's 销量 sort).

    Guarded F() updates in product-id order, so concurrent payments neither lose counts nor
    deadlock each other.
    """
    for product_id, quantity in sorted(quantities.items()):
        if quantity > 0:
            Product.objects.filter(pk=product_id).update(sales_count=F("sales_count") + quantity)
