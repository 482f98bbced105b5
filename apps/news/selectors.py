"""Reads of news for the storefront: published articles whose time has come."""

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from apps.catalog.models import ProductImage
from apps.catalog.selectors import products_sellable
from apps.news.models import Article
from apps.stores.selectors import store_list_for_storefront


def _published() -> QuerySet[Article]:
    return Article.objects.filter(status=Article.Status.PUBLISHED, published_at__lte=timezone.now())


def article_list_for_storefront(*, category: str | None = None) -> QuerySet[Article]:
    articles = _published().defer("body")
    if category:
        articles = articles.filter(category=category)
    return articles.order_by("-published_at", "-id")


def article_get_for_storefront(*, pk: int) -> Article | None:
    """A published article with its featured products (on sale, with store and cover) and
    featured stores (active): three queries."""
    return (
        _published()
        .prefetch_related(
            Prefetch(
                "featured_products",
                queryset=products_sellable()
                .select_related("store")
                .prefetch_related(
                    Prefetch("images", queryset=ProductImage.objects.order_by("sort_order", "id"))
                ),
                to_attr="products_on_sale",
            ),
            Prefetch(
                "featured_stores", queryset=store_list_for_storefront(), to_attr="stores_open"
            ),
        )
        .filter(pk=pk)
        .first()
    )
