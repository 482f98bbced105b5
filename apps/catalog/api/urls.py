from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.catalog.api import views

router = SimpleRouter()
router.register("categories", views.CategoryViewSet, basename="api-category")
router.register("products", views.ProductViewSet, basename="api-product")

urlpatterns = [
    *router.urls,
    path("search/suggest/", views.SearchSuggestApi.as_view(), name="api-search-suggest"),
    path(
        "merchant/products/",
        views.MerchantProductListCreateApi.as_view(),
        name="api-merchant-product-list",
    ),
    path(
        "merchant/products/<int:pk>/",
        views.MerchantProductDetailApi.as_view(),
        name="api-merchant-product-detail",
    ),
    path(
        "merchant/products/<int:pk>/status/",
        views.MerchantProductStatusApi.as_view(),
        name="api-merchant-product-status",
    ),
    path(
        "merchant/products/<int:pk>/skus/",
        views.MerchantSkuListCreateApi.as_view(),
        name="api-merchant-sku-list",
    ),
    path(
        "merchant/products/<int:pk>/skus/<int:sku_pk>/",
        views.MerchantSkuDetailApi.as_view(),
        name="api-merchant-sku-detail",
    ),
    path(
        "merchant/products/<int:pk>/images/",
        views.MerchantProductImageCreateApi.as_view(),
        name="api-merchant-product-images",
    ),
]
