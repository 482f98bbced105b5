"""Reads of the catalogue. Each storefront read uses a fixed number of queries."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from apps.catalog.models import Category, Product, ProductImage, Sku
from apps.catalog.search import filter_by_search
from apps.stores.models import Store
from apps.stores.selectors import scope_to_user_stores

SORTS = {
    "newest": ("-published_at", "-id"),
    "price_asc": ("price_min", "id"),
    "price_desc": ("-price_min", "-id"),
    "sales": ("-sales_count", "-id"),
}


@dataclass(frozen=True)
class ProductFilters:
    q: str = ""
    category: Category | None = None
    store_id: int | None = None
    origin_code: str = ""
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    storage: str = ""
    sort: str = ""


def _cover_prefetch() -> Prefetch:
    return Prefetch("images", queryset=ProductImage.objects.order_by("sort_order", "id"))


def products_sellable() -> QuerySet[Product]:
    """On-sale products of active stores: the only ones shown or sold."""
    return Product.objects.filter(status=Product.Status.ON_SALE, store__status=Store.Status.ACTIVE)


def category_tree() -> list[Category]:
    """Active top-level categories with their active children (2 queries)."""
    children = Category.objects.filter(is_active=True).order_by("sort_order", "id")
    return list(
        Category.objects.filter(parent__isnull=True, is_active=True).prefetch_related(
            Prefetch("children", queryset=children)
        )
    )


def category_get(*, slug: str) -> Category | None:
    return (
        Category.objects.filter(slug=slug, is_active=True)
        .select_related("parent")
        .prefetch_related(Prefetch("children", queryset=Category.objects.filter(is_active=True)))
        .first()
    )


def product_list_for_storefront(filters: ProductFilters) -> QuerySet[Product]:
    """The listing/search queryset: filtered, searched, sorted, with store and cover image."""
    qs = products_sellable()
    if filters.category is not None:
        qs = qs.filter(category__in=_category_and_descendant_ids(filters.category))
    if filters.store_id:
        qs = qs.filter(store_id=filters.store_id)
    if filters.origin_code:
        qs = qs.filter(origin_code__startswith=filters.origin_code)
    if filters.price_min is not None:
        qs = qs.filter(price_min__gte=filters.price_min)
    if filters.price_max is not None:
        qs = qs.filter(price_min__lte=filters.price_max)
    if filters.storage:
        qs = qs.filter(storage=filters.storage)
    ranked = False
    if filters.q.strip():
        qs, ranked = filter_by_search(qs, filters.q)
    if filters.sort in SORTS:
        qs = qs.order_by(*SORTS[filters.sort])
    elif ranked:
        qs = qs.order_by("-search_rank", "-sales_count", "-id")
    else:
        qs = qs.order_by(*SORTS["newest"])
    return qs.select_related("store", "category").prefetch_related(_cover_prefetch())


def _category_and_descendant_ids(category: Category) -> list[int]:
    ids = [category.pk]
    frontier = [category.pk]
    while frontier:
        frontier = list(
            Category.objects.filter(parent_id__in=frontier).values_list("id", flat=True)
        )
        ids.extend(frontier)
    return ids


def product_get_for_storefront(*, pk: int) -> Product | None:
    """A sellable product with store, category path, active SKUs (with tiers) and images."""
    return (
        products_sellable()
        .filter(pk=pk)
        .select_related("store", "category__parent")
        .prefetch_related(
            Prefetch(
                "skus",
                queryset=Sku.objects.filter(is_active=True).prefetch_related("wholesale_tiers"),
            ),
            _cover_prefetch(),
        )
        .first()
    )


def products_self_operated(*, limit: int = 8) -> list[Product]:
    return list(
        products_sellable()
        .filter(store__type="self_operated")
        .order_by("-sales_count", "-id")
        .select_related("store")
        .prefetch_related(_cover_prefetch())[:limit]
    )


def products_new_arrivals(*, limit: int = 8) -> list[Product]:
    return list(
        products_sellable()
        .order_by("-published_at", "-id")
        .select_related("store")
        .prefetch_related(_cover_prefetch())[:limit]
    )


def stores_featured(*, limit: int = 6) -> list[Store]:
    return list(
        Store.objects.filter(status=Store.Status.ACTIVE, is_featured=True).order_by("id")[:limit]
    )


def product_list_for_merchant(*, user) -> QuerySet[Product]:
    """Back-office products: a merchant's own stores only; platform staff see all."""
    return scope_to_user_stores(Product.objects.all(), user).select_related("store", "category")


def sku_list_for_merchant(*, user) -> QuerySet[Sku]:
    return scope_to_user_stores(Sku.objects.all(), user, store_field="product__store")
