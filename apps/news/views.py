"""Storefront pages of news: the list (by category, paginated) and an article."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.news.models import Article
from apps.news.selectors import article_get_for_storefront, article_list_for_storefront

PAGE_SIZE = 12


@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    category = request.GET.get("category", "")
    if category and category not in Article.Category.values:
        raise Http404
    page = Paginator(article_list_for_storefront(category=category or None), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "news/article_list.html",
        {
            "page_obj": page,
            "articles": page.object_list,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
            "categories": Article.Category.choices,
            "current_category": category,
        },
    )


@require_GET
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = article_get_for_storefront(pk=pk)
    if article is None:
        raise Http404
    return render(request, "news/article_detail.html", {"article": article})
