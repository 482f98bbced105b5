from django.db import transaction
from django.db.models import Q

from apps.catalog.models import Category, Product
from apps.catalog.search import product_search_fields
from apps.stores.divisions import division_name

REINDEX_BATCH = 500
SEARCH_FIELDS = [
    "search_document",
    "search_title",
    "search_category",
    "search_detail",
    "search_store",
]


def product_set_search_fields(product: Product) -> None:
    """Fill the product's search text from its title, category, details, description and store
    (apps/catalog/search.py says what each holds); saves nothing."""
    category = product.category
    parent_name = category.parent.name if category.parent_id else ""
    origin_full = division_name(product.origin_code) if product.origin_code else ""
    fields = product_search_fields(
        title=product.title,
        category=[category.name, parent_name],
        detail=[
            product.subtitle,
            product.origin_name,
            origin_full or "",
            product.grade,
            " ".join(product.certification_labels),
        ],
        description=product.description,
        store=product.store.name,
    )
    product.search_document = fields.document
    product.search_title = fields.title
    product.search_category = fields.category
    product.search_detail = fields.detail
    product.search_store = fields.store
    product.is_search_stale = False


def product_reindex(*, product: Product) -> None:
    product_set_search_fields(product)
    Product.objects.filter(pk=product.pk).update(
        **{name: getattr(product, name) for name in SEARCH_FIELDS}, is_search_stale=False
    )


def products_mark_search_stale(
    *, store_id: int | None = None, category: Category | None = None
) -> int:
    """After a store or category rename: its products' documents are rebuilt by the beat job."""
    qs = Product.objects.all()
    if store_id is not None:
        qs = qs.filter(store_id=store_id)
    if category is not None:
        qs = qs.filter(Q(category=category) | Q(category__parent=category))
    return qs.update(is_search_stale=True)


def products_reindex_stale(*, limit: int | None = None) -> int:
    """Rebuild the search documents of stale products in batches; returns how many."""
    done = 0
    while limit is None or done < limit:
        batch = list(
            Product.objects.filter(is_search_stale=True)
            .select_related("store", "category__parent")
            .order_by("pk")[:REINDEX_BATCH]
        )
        if not batch:
            break
        for product in batch:
            product_set_search_fields(product)
        with transaction.atomic():
            Product.objects.bulk_update(batch, [*SEARCH_FIELDS, "is_search_stale"])
        done += len(batch)
    return done
