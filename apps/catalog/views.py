"""Storefront pages: parse the request, call a selector, render. No business rules here."""

from functools import wraps

from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from apps.catalog.forms import SORT_CHOICES, ProductFilterForm
from apps.catalog.fragments import listing_body_cached, product_body_cached
from apps.catalog.models import Sku
from apps.catalog.page_cache import storefront_page_cache
from apps.catalog.selectors import (
    ListingPaginator,
    ProductFilters,
    category_get,
    category_tree,
    home_shelves,
    product_facet_rows,
    product_facets_for_storefront,
    product_list_for_storefront,
    product_page_products,
    products_for_home,
    products_listing_parts,
    storefront_search,
    stores_featured,
    stores_featured_queryset,
)
from apps.catalog.signals import search_performed
from apps.stores.selectors import store_get_for_storefront

PAGE_SIZE = 20
SEARCH_SUGGESTIONS = ["五常大米", "脐橙", "土鸡蛋", "黑木耳", "绿茶", "小米"]


def _paginate(request: HttpRequest, queryset, paginator: ListingPaginator | None = None) -> Page:
    # get_page turns a non-numeric or out-of-range ?page= into the first / last page.
    paginator = paginator or ListingPaginator(queryset, PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def _listing_context(
    request: HttpRequest,
    form: ProductFilterForm,
    filters: ProductFilters,
    queryset=None,
    *,
    paginator: ListingPaginator | None = None,
) -> dict:
    if queryset is None:
        queryset = product_list_for_storefront(filters)
    page = _paginate(request, queryset, paginator)
    return {
        "form": form,
        "filters": filters,
        "query": filters.q,
        "page_obj": page,
        "products": page.object_list,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "sort_choices": SORT_CHOICES,
        "current_sort": filters.sort,
    }


HOME_SHELF_SIZE = 10
HOME_STORES = 6


@require_GET
@storefront_page_cache
def home(request: HttpRequest) -> HttpResponse:
    # The body comes from the fragment cache while the rows it shows are unchanged.
    body = listing_body_cached(
        request,
        name="home",
        shown=lambda: [
            *home_shelves(limit=HOME_SHELF_SIZE),
            stores_featured_queryset(limit=HOME_STORES),
        ],
        covers_of=lambda: [shelf.values("pk") for shelf in home_shelves(limit=HOME_SHELF_SIZE)],
        render=lambda: _home_body(request),
    )
    return _fragment_page(request, body, body_class="page-home")


def _home_body(request: HttpRequest) -> str:
    self_operated, new_arrivals = products_for_home(limit=HOME_SHELF_SIZE)
    return render_to_string(
        "catalog/home.html",
        {
            "page_base": "catalog/_body_only.html",
            "categories": category_tree(),
            "self_operated": self_operated,
            "new_arrivals": new_arrivals,
            "featured_stores": stores_featured(limit=HOME_STORES),
            "hero_words": SEARCH_SUGGESTIONS[:4],
        },
        request=request,
    )


def _fragment_page(
    request: HttpRequest, body: str, *, title: str = "", body_class: str = ""
) -> HttpResponse:
    """The page shell (base.html: header with the shopper's cart, footer) around a body."""
    return render(
        request,
        "catalog/fragment_page.html",
        {"fragment_body": mark_safe(body), "page_title": title, "body_class": body_class},
    )


@require_GET
@storefront_page_cache
def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    category = category_get(slug=slug)
    if category is None:
        raise Http404("category")
    form = ProductFilterForm(request.GET)
    filters = form.to_filters(category=category)
    queryset = product_list_for_storefront(filters)
    paginator = ListingPaginator(queryset, PAGE_SIZE)
    number = _page_number(paginator, request.GET.get("page"))  # 1 query: the count

    def page_ids():
        bottom = (number - 1) * PAGE_SIZE
        top = bottom + PAGE_SIZE
        if top + paginator.orphans >= paginator.count:
            top = paginator.count
        return queryset.values("pk")[bottom:top]

    def render_body() -> str:
        context = _listing_context(request, form, filters, queryset, paginator=paginator)
        context["category"] = category
        context["facets"] = product_facets_for_storefront(filters)
        context["page_base"] = "catalog/_body_only.html"
        return render_to_string("catalog/category.html", context, request=request)

    body = listing_body_cached(
        request,
        name=f"category:{paginator.count}",
        shown=lambda: [queryset.filter(pk__in=page_ids()), product_facet_rows(filters)],
        covers_of=lambda: [page_ids()],
        render=render_body,
    )
    return _fragment_page(request, body, title=category.name)


def _page_number(paginator: ListingPaginator, number) -> int:
    """The page get_page() would show for ?page= (the first for a bad value, the last when
    out of range)."""
    try:
        return paginator.validate_number(number)
    except PageNotAnInteger:
        return 1
    except EmptyPage:
        return paginator.num_pages


def _announce_search(view):
    """Tell higher apps about each search (first page), cached page or not: outside the cache."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        query = request.GET.get("q", "").strip()
        if query and response.status_code == 200 and request.GET.get("page", "1") == "1":
            search_performed.send(sender=None, query=query, user=request.user)
        return response

    return wrapper


@require_GET
@_announce_search
@storefront_page_cache
def search(request: HttpRequest) -> HttpResponse:
    form = ProductFilterForm(request.GET)
    filters = form.to_filters()
    context = {"form": form, "query": filters.q, "suggestions": SEARCH_SUGGESTIONS}
    if filters.q:
        # One search; its count and facets come with it when every word matched.
        found = storefront_search(filters, count=True, facets=True)
        # The cards show the store, not the category; their covers are read for the page below.
        queryset = (
            found.queryset.select_related(None).select_related("store").prefetch_related(None)
        )
        paginator = ListingPaginator(queryset, PAGE_SIZE)
        if found.count is not None:
            paginator.count = found.count
        context.update(_listing_context(request, form, filters, queryset, paginator=paginator))
        products = list(context["page_obj"].object_list)
        products_listing_parts(products)
        context["page_obj"].object_list = context["products"] = products
        context["did_you_mean"] = found.did_you_mean
        facets = found.facets
        if facets is None:
            facets = product_facets_for_storefront(filters, listing=found.queryset)
        context["facets"] = facets
    return render(request, "catalog/search.html", context)


@require_GET
@storefront_page_cache
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # The body comes from the fragment cache while nothing it shows changed (fragments.py).
    cached = product_body_cached(request, pk=pk, render=lambda: _product_body(request, pk))
    if cached is None:
        raise Http404("product")
    body, page = cached
    return render(
        request,
        "catalog/product_page.html",
        {"product_body": mark_safe(body), **page},
    )


def _product_body(request: HttpRequest, pk: int) -> tuple[str, dict] | None:
    """The product page's body rendered afresh, with what the page around it needs."""
    found = product_page_products(pk=pk)
    if found is None:
        return None
    product, more_from_store = found
    skus = list(product.skus.all())
    selected = _selected_sku(skus, request.GET.get("sku"))
    body = render_to_string(
        "catalog/product_detail.html",
        {
            "page_base": "catalog/_body_only.html",
            "product": product,
            "images": list(product.images.all()),
            "skus": skus,
            "selected_sku": selected,
            "has_wholesale": any(sku.min_wholesale_quantity or sku.has_tiers for sku in skus),
            "more_from_store": more_from_store,
        },
        request=request,
    )
    return body, {"page_title": product.title, "product_id": product.pk}


def _selected_sku(skus: list[Sku], requested: str | None) -> Sku | None:
    """The SKU asked for by ?sku=, else the first one on sale, else the first one."""
    if requested and requested.isdigit():
        for sku in skus:
            if sku.pk == int(requested):
                return sku
    return next((sku for sku in skus if sku.is_sellable), skus[0] if skus else None)


@require_GET
@storefront_page_cache
def store_detail(request: HttpRequest, slug: str) -> HttpResponse:
    store = store_get_for_storefront(slug=slug)
    if store is None:
        raise Http404("store")
    form = ProductFilterForm(request.GET)
    filters = form.to_filters(store_id=store.pk)
    context = _listing_context(request, form, filters)
    context["store"] = store
    return render(request, "catalog/store_detail.html", context)
