"""Reads of the catalogue. Each storefront read uses a fixed number of queries."""

from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import Exact

from apps.catalog.models import Category, Product, ProductImage, Sku, WholesaleTier
from apps.catalog.search import search_products
from apps.stores.divisions import division_short_name
from apps.stores.models import Store
from apps.stores.selectors import scope_to_user_stores

# The search text of a product (kilobytes a row): never needed to show a listing.
SEARCH_TEXT = [
    "search_document",
    "search_vector",
    "search_title",
    "search_category",
    "search_detail",
    "search_store",
]

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


# Deepest category level a listing looks into; the demo tree has two, the domain allows more.
MAX_CATEGORY_DEPTH = 4
FACET_LIMIT = 50
FACET_ROWS = 2000


@dataclass(frozen=True)
class StorefrontFacets:
    """What the filter panel of a listing offers: the stores and origins among its products."""

    stores: list[tuple[int, str]] = field(default_factory=list)
    origins: list[tuple[str, str]] = field(default_factory=list)


def _cover_prefetch() -> Prefetch:
    return Prefetch("images", queryset=ProductImage.objects.order_by("sort_order", "id"))


class ListingPaginator(Paginator):
    """Pages of a storefront listing that cost the same on page 50 as on page 1.

    A plain `queryset[980:1000]` makes PostgreSQL build all 1,000 rows before the OFFSET —
    joined to store and category, with the per-product "all SKUs held" subquery — and throw
    980 away. Here the page's ids are picked by a narrow subquery (ids and sort keys only),
    and only those 20 rows are read whole, still in one query.
    """

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        queryset = self.object_list
        ids = queryset.values("pk")[bottom:top]
        return self._get_page(queryset.filter(pk__in=ids), number, self)


def products_sellable() -> QuerySet[Product]:
    """On-sale products of active stores: the only ones shown or sold."""
    return Product.objects.filter(status=Product.Status.ON_SALE, store__status=Store.Status.ACTIVE)


def _categories_linked() -> dict[int, Category]:
    """Every category (a few dozen rows) in one query, each with its parent and its active
    children (sort order) filled in, as the prefetches of category_tree/category_get would."""
    rows = list(Category.objects.order_by("sort_order", "id"))
    by_id = {category.pk: category for category in rows}
    children: dict[int, list[Category]] = {category.pk: [] for category in rows}
    all_children: dict[int, list[int]] = {category.pk: [] for category in rows}
    for category in rows:
        parent = by_id.get(category.parent_id)
        if parent is not None:
            category.parent = parent
            all_children[parent.pk].append(category.pk)
            if category.is_active:
                children[parent.pk].append(category)
    for category in rows:
        category._prefetched_objects_cache = {"children": children[category.pk]}
        # Descendants down to MAX_CATEGORY_DEPTH, whatever their status (as the listing was).
        descendants, level = [category.pk], [category.pk]
        for _depth in range(MAX_CATEGORY_DEPTH - 1):
            level = [child for pk in level for child in all_children[pk]]
            descendants += level
        category.__dict__["_descendant_ids"] = descendants
    return by_id


def category_tree() -> list[Category]:
    """Active top-level categories with their active children (1 query)."""
    return [
        category
        for category in _categories_linked().values()
        if category.parent_id is None and category.is_active
    ]


def category_get(*, slug: str) -> Category | None:
    """An active category with its parent, its children and its siblings (parent.children),
    and its descendants for the listing (1 query: all categories)."""
    return next((c for c in _categories_linked().values() if c.slug == slug and c.is_active), None)


def product_list_for_storefront(filters: ProductFilters) -> QuerySet[Product]:
    """The listing/search queryset: filtered, searched, sorted, with store and cover image."""
    return product_search_for_storefront(filters)[0]


def product_search_for_storefront(filters: ProductFilters) -> tuple[QuerySet[Product], str]:
    """As product_list_for_storefront, plus the "did you mean" of a search that found nothing
    as typed but found what it sounds like (五长大米 → 五常大米), else ""."""
    found = storefront_search(filters)
    return found.queryset, found.did_you_mean


@dataclass(frozen=True)
class StorefrontSearch:
    """A listing or search (storefront_search): its queryset, and what was read of it while
    searching."""

    queryset: QuerySet[Product]
    did_you_mean: str = ""
    # How many products `queryset` has, when the search already counted them (else None).
    count: int | None = None
    # The filter panel's stores and origins, when read together with the count (else None).
    facets: StorefrontFacets | None = None


def storefront_search(
    filters: ProductFilters, *, count: bool = False, facets: bool = False
) -> StorefrontSearch:
    """The listing/search queryset (product_search_for_storefront) and, for a search, its
    count (`count`) and facets (`facets`) read by the query that tells the search whether
    every word matched: a search page or API list costs one query less (and, with the
    facets, two), and the search is built once.

    The count and facets are given when every word matched (the usual case); after a
    fallback (a homophone, any word) or for a store-name query they are None and the caller
    reads them as before (the paginator counts; product_facets_for_storefront). Facets are
    read together only when no store, origin, price or storage filter is set (they describe
    the products without those filters)."""
    qs = products_sellable()
    if filters.category is not None:
        qs = qs.filter(category__in=_category_and_descendants(filters.category))
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
    ranked, did_you_mean = False, ""
    read: dict[str, object] = {}
    if filters.q.strip():
        with_facets = facets and _facet_filters(filters) == replace(filters, sort="")

        def probe(matched: QuerySet[Product]) -> int:
            if with_facets:
                rows = list(_facet_count_rows(matched)[: FACET_ROWS + 1])
                if len(rows) <= FACET_ROWS:  # else too many to read whole: count apart
                    read["facets"] = _facets_from_rows(row[:4] for row in rows)
                    read["count"] = sum(row[4] for row in rows)
                    return read["count"]
            read["count"] = matched.count()
            return read["count"]

        match = search_products(qs, filters.q, probe=probe if count or with_facets else None)
        qs, ranked, did_you_mean = match.queryset, match.ranked, match.did_you_mean
        if not read.get("count"):  # nothing matched every word: `qs` is another match
            read.clear()
    if filters.sort in SORTS:
        qs = qs.order_by(*SORTS[filters.sort])
    elif ranked:
        # Relevance points + a sales/freshness blend worth less than one point (search.py).
        qs = qs.order_by("-search_score", "-id")
    else:
        qs = qs.order_by(*SORTS["newest"])
    qs = (
        qs.annotate(is_all_held=_all_skus_held())
        .defer(*SEARCH_TEXT)
        .select_related("store", "category")
        .prefetch_related(_cover_prefetch())
    )
    return StorefrontSearch(
        qs,
        did_you_mean,
        count=read.get("count") if count else None,  # type: ignore[arg-type]
        facets=read.get("facets"),  # type: ignore[arg-type]
    )


def products_listing_parts(products: list[Product]) -> None:
    """Give each product of a page its images (`listing_images`, the cover first), in one
    query: prefetch_related would build a filtered queryset per product to hold them
    (about 1 ms a page of 20)."""
    images: dict[int, list[ProductImage]] = {product.pk: [] for product in products}
    for image in (
        ProductImage.objects.filter(product_id__in=list(images))
        .order_by("sort_order", "id")
        .only("product_id", "image", "thumbnail", "width", "height", "sort_order")
    ):
        images[image.product_id].append(image)
    for product in products:
        product.listing_images = images[product.pk]


# What a row of the product API's list shows (ProductListSerializer), read as values: a page
# of 20 rows is then no 60 model instances (product, store, category) but 20 dicts.
LISTING_ROW_FIELDS = [
    "id",
    "title",
    "subtitle",
    "price_min",
    "sales_count",
    "category_id",
    "category__name",
    "category__slug",
    "store_id",
    "store__name",
    "store__slug",
    "store__type",
    "store__county_name",
    "origin_code",
    "origin_name",
    "storage",
    "grade",
    "certifications",
    "published_at",
]


def product_listing_rows(queryset: QuerySet[Product]) -> QuerySet:
    """The listing/search queryset as LISTING_ROW_FIELDS values (page it, then
    products_listing_row_parts)."""
    return queryset.prefetch_related(None).values(*LISTING_ROW_FIELDS)


def products_listing_row_parts(rows: list[dict]) -> None:
    """Give each row of product_listing_rows its images (`images`: id, image and thumbnail
    file names, width, height, sort order; the cover first) and its active SKUs (`skus`, in
    their order, with `available` = stock - reserved as Sku.available): 2 queries."""
    images: dict[int, list[dict]] = {row["id"]: [] for row in rows}
    skus: dict[int, list[dict]] = {row["id"]: [] for row in rows}
    for image in (
        ProductImage.objects.filter(product_id__in=list(images))
        .order_by("sort_order", "id")
        .values("product_id", "id", "image", "thumbnail", "width", "height", "sort_order")
    ):
        images[image.pop("product_id")].append(image)
    for sku in (
        Sku.objects.filter(product_id__in=list(skus), is_active=True)
        .order_by("sort_order", "id")
        .values(
            "product_id",
            "id",
            "spec",
            "retail_price",
            "stock",
            "reserved",
            "weight_grams",
            "barcode",
            "is_held",
        )
    ):
        sku["available"] = max(sku.pop("stock") - sku.pop("reserved"), 0)  # Sku.available
        skus[sku.pop("product_id")].append(sku)
    for row in rows:
        row["images"] = images[row["id"]]
        row["skus"] = skus[row["id"]]


@dataclass(frozen=True)
class SearchSuggestions:
    """What the search box offers while the shopper types: product titles, then the
    categories and stores of the best matching products."""

    products: list[tuple[int, str]] = field(default_factory=list)
    categories: list[tuple[str, str]] = field(default_factory=list)  # (slug, name)
    stores: list[tuple[str, str]] = field(default_factory=list)  # (slug, name)


SUGGEST_ROWS = 60


def search_suggestions(query: str, *, limit: int = 6) -> SearchSuggestions:
    """Suggestions for a partly typed query, from the same index and ranking as the search
    (the last word counts as the start of a word: 五常大 → 五常大米). 1-2 queries."""
    if not query.strip():
        return SearchSuggestions()
    match = search_products(products_sellable(), query)
    if not match.ranked:
        return SearchSuggestions()
    rows = match.queryset.order_by("-search_score", "-id").values_list(
        "id", "title", "category__slug", "category__name", "store__slug", "store__name"
    )[:SUGGEST_ROWS]
    products: dict[str, int] = {}
    categories: dict[str, str] = {}
    stores: dict[str, str] = {}
    for pk, title, category_slug, category_name, store_slug, store_name in rows:
        if len(products) < limit:
            products.setdefault(title, pk)
        categories.setdefault(category_slug, category_name)
        stores.setdefault(store_slug, store_name)
    return SearchSuggestions(
        products=[(pk, title) for title, pk in products.items()],
        categories=list(categories.items())[: max(limit // 2, 1)],
        stores=list(stores.items())[: max(limit // 2, 1)],
    )


def _all_skus_held() -> Q:
    """Every active SKU is held by a lot recall (Sku.is_held): the card says 暂停销售.

    One correlated scalar subquery (MIN of is_held over the active SKUs = 1), evaluated by
    the product_id index for the ~20 rows of a page only. Two EXISTS were planned as hashed
    subplans whenever PostgreSQL expected many matching products (every category listing, a
    store-name search): a sequential scan of all SKUs on every page view (1-5 ms).
    """
    lowest = (
        Sku.objects.filter(product=OuterRef("pk"), is_active=True)
        .order_by()
        .annotate(v=Func(Cast("is_held", IntegerField()), function="MIN"))
        .values("v")
    )
    return Exact(Coalesce(Subquery(lowest, output_field=IntegerField()), 0), 1)


def _category_and_descendants(category: Category) -> list[int]:
    """Ids of the category and its descendants: one query for all levels, once per instance.

    A literal list rather than a subquery: behind a subquery PostgreSQL cannot use the
    category index and scanned all 10,000 products for the count, the facets and the page
    (about 3x slower for a top-level category).
    """
    cached = category.__dict__.get("_descendant_ids")
    prefetched = getattr(category, "_prefetched_objects_cache", {}).get("children")
    if cached is None and prefetched is not None and not prefetched:
        cached = [category.pk]  # category_get loaded its children: none, so a leaf, no query
    if cached is None:
        condition = Q(pk=category.pk)
        lookup = "parent_id"
        for _level in range(MAX_CATEGORY_DEPTH - 1):
            condition |= Q(**{lookup: category.pk})
            lookup = f"parent__{lookup}"
        cached = list(Category.objects.filter(condition).values_list("id", flat=True))
        category.__dict__["_descendant_ids"] = cached
    return cached


def product_facets_for_storefront(
    filters: ProductFilters, *, listing: QuerySet[Product] | None = None
) -> StorefrontFacets:
    """Stores and origins among the products matching the search/category (1-2 queries).

    The store, origin, price and storage filters themselves are left out so the shopper can
    switch between values instead of being narrowed to the one already chosen. `listing`:
    the queryset product_search_for_storefront gave for the same `filters`; when none of
    those filters is set it is the very set the facets describe, so the search is not built
    and run a second time (1 query).
    """
    return _facets_from_rows(product_facet_rows(filters, listing=listing))


def _facets_from_rows(rows) -> StorefrontFacets:
    """Facets from (store id, store name, origin code, origin name) rows."""
    stores: dict[int, str] = {}
    origins: dict[str, str] = {}
    for store_id, store_name, code, name in rows:
        stores.setdefault(store_id, store_name)
        if code:
            origins.setdefault(code, name or division_short_name(code) or code)
    return StorefrontFacets(
        stores=sorted(stores.items())[:FACET_LIMIT],
        origins=sorted(origins.items())[:FACET_LIMIT],
    )


def _facet_count_rows(matched: QuerySet[Product]) -> QuerySet:
    """(store id, store name, origin code, origin name, products) of the matched products:
    the facets and, summed, the count, from one pass over them."""
    return (
        matched.order_by()
        .values_list("store_id", "store__name", "origin_code", "origin_name")
        .annotate(products=Count("*"))
    )


def _facet_filters(filters: ProductFilters) -> ProductFilters:
    """The filters the facets describe: without the ones the facets themselves choose."""
    return replace(
        filters, store_id=None, origin_code="", price_min=None, price_max=None, storage="", sort=""
    )


def product_facet_rows(
    filters: ProductFilters, *, listing: QuerySet[Product] | None = None
) -> QuerySet:
    """The (store id, store name, origin code, origin name) rows the facets are made of
    (`listing`: see product_facets_for_storefront)."""
    if listing is None or _facet_filters(filters) != replace(filters, sort=""):
        listing = product_list_for_storefront(_facet_filters(filters))
    base = listing.order_by().prefetch_related(None)
    # Both facets from one pass over the matching products: (store, origin) pairs are few.
    rows = base.values_list("store_id", "store__name", "origin_code", "origin_name").distinct()
    return rows[:FACET_ROWS]


def product_get_for_storefront(
    *, pk: int, with_tiers: bool = True, with_images: bool = True
) -> Product | None:
    """A sellable product with store, category path, active SKUs (with tiers) and images.

    `with_tiers=False` (the product page): each SKU says `has_tiers` instead, one query less;
    its tiers are then read only when a wholesale buyer's prices show them.
    `with_images=False`: the caller fetches the images together with others' (product page).
    """
    skus = Sku.objects.filter(is_active=True)
    if with_tiers:
        skus = skus.prefetch_related("wholesale_tiers")
    else:
        skus = skus.annotate(has_tiers=Exists(WholesaleTier.objects.filter(sku_id=OuterRef("pk"))))
    prefetches = [Prefetch("skus", queryset=skus)]
    if with_images:
        prefetches.append(_cover_prefetch())
    rows = (
        products_sellable()
        .filter(pk=pk)
        .order_by()
        .defer(*SEARCH_TEXT)
        .select_related("store", "category__parent")
        .prefetch_related(*prefetches)[:1]
    )
    return rows[0] if rows else None


def products_more_from_store(
    *, product: Product, limit: int = 4, with_images: bool = True
) -> list[Product]:
    """Other best sellers of the same store, shown under a product (2 queries, 1 without
    images)."""
    more = (
        products_sellable()
        .filter(store_id=product.store_id)
        .exclude(pk=product.pk)
        .order_by("-sales_count", "-id")
        .defer(*SEARCH_TEXT)
        .select_related("store")
    )
    if with_images:
        more = more.prefetch_related(_cover_prefetch())
    return list(more[:limit])


def product_page_products(*, pk: int) -> tuple[Product, list[Product]] | None:
    """The product page's product (SKUs flagged `has_tiers`) and "more from this store",
    with the images of all of them read in one query (4 queries)."""
    product = product_get_for_storefront(pk=pk, with_tiers=False, with_images=False)
    if product is None:
        return None
    more = products_more_from_store(product=product, limit=4, with_images=False)
    prefetch_related_objects([product, *more], _cover_prefetch())
    return product, more


def products_for_home(*, limit: int = 8) -> tuple[list[Product], list[Product]]:
    """The home page's two shelves, self-operated best sellers and new arrivals, with their
    covers fetched together (3 queries instead of 4)."""
    self_operated, new_arrivals = (list(shelf) for shelf in home_shelves(limit=limit))
    prefetch_related_objects([*self_operated, *new_arrivals], _cover_prefetch())
    return self_operated, new_arrivals


def home_shelves(*, limit: int = 8) -> list[QuerySet[Product]]:
    """The querysets of the home page's two shelves (covers not prefetched)."""
    return [
        _shelf(products_sellable().filter(store__type="self_operated"), ("-sales_count", "-id"))[
            :limit
        ],
        _shelf(products_sellable(), ("-published_at", "-id"))[:limit],
    ]


def _shelf(queryset: QuerySet[Product], order: tuple[str, ...]) -> QuerySet[Product]:
    return queryset.order_by(*order).defer(*SEARCH_TEXT).select_related("store")


def products_self_operated(*, limit: int = 8) -> list[Product]:
    return list(
        products_sellable()
        .filter(store__type="self_operated")
        .order_by("-sales_count", "-id")
        .defer(*SEARCH_TEXT)
        .select_related("store")
        .prefetch_related(_cover_prefetch())[:limit]
    )


def products_new_arrivals(*, limit: int = 8) -> list[Product]:
    return list(
        products_sellable()
        .order_by("-published_at", "-id")
        .defer(*SEARCH_TEXT)
        .select_related("store")
        .prefetch_related(_cover_prefetch())[:limit]
    )


def stores_featured(*, limit: int = 6) -> list[Store]:
    """Featured active stores with `product_count` (stores_featured_queryset, 1 query)."""
    return list(stores_featured_queryset(limit=limit))


def stores_featured_queryset(*, limit: int = 6) -> QuerySet[Store]:
    """Featured active stores, each with `product_count` of its on-sale products (1 query).

    A correlated COUNT(store_id) per store, answered by an index-only scan of
    product_store_idx, rather than a JOIN + GROUP BY that read the whole product table on
    every home page view (a Func, not Count(), so that no GROUP BY drags in other columns).
    """
    on_sale = (
        Product.objects.filter(store=OuterRef("pk"), status=Product.Status.ON_SALE)
        .order_by()
        .annotate(n=Func(F("store_id"), function="COUNT", output_field=IntegerField()))
        .values("n")
    )
    return (
        Store.objects.filter(status=Store.Status.ACTIVE, is_featured=True)
        .annotate(product_count=Subquery(on_sale))
        .order_by("id")[:limit]
    )


def product_list_for_merchant(*, user) -> QuerySet[Product]:
    """Back-office products: a merchant's own stores only; platform staff see all."""
    return scope_to_user_stores(Product.objects.all(), user).select_related("store", "category")


def sku_list_for_merchant(*, user) -> QuerySet[Sku]:
    return scope_to_user_stores(Sku.objects.all(), user, store_field="product__store")


def skus_low_stock(queryset: QuerySet[Sku]) -> QuerySet[Sku]:
    """Active SKUs of products on sale whose available stock (stock − reserved) is at or below
    their own warning threshold (a threshold of 0 never warns)."""
    return queryset.filter(
        is_active=True,
        product__status=Product.Status.ON_SALE,
        low_stock_threshold__gt=0,
        stock__lte=F("reserved") + F("low_stock_threshold"),
    )
