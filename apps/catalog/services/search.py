from django.db import transaction
from django.db.models import Q

from apps.catalog.models import Category, Product
from apps.catalog.search import build_search_document
from apps.stores.divisions import division_name

REINDEX_BATCH = 500


def product_search_document(product: Product) -> str:
    category = product.category
    parent_name = category.parent.name if category.parent_id else ""
    origin_full = division_name(product.origin_code) if product.origin_code else ""
    return build_search_document(
        product.title,
        product.subtitle,
        product.store.name,
        product.origin_name,
        origin_full or "",
        category.name,
        parent_name,
        product.grade,
        " ".join(product.certification_labels),
    )


def product_reindex(*, product: Product) -> None:
    product.search_document = product_search_document(product)
    product.is_search_stale = False
    Product.objects.filter(pk=product.pk).update(
        search_document=product.search_document, is_search_stale=False
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
            product.search_document = product_search_document(product)
            product.is_search_stale = False
        with transaction.atomic():
            Product.objects.bulk_update(batch, ["search_document", "is_search_stale"])
        done += len(batch)
    return done
