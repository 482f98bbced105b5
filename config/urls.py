from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.core.views import favicon, healthz, readyz

handler404 = "apps.core.views.page_not_found"
handler500 = "apps.core.views.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("readyz", readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("me/", include("apps.accounts.urls")),
    path("stores/", include("apps.stores.urls")),
    path("wholesale/", include("apps.wholesale.urls")),
    path("distribution/", include("apps.distribution.urls")),
    path("news/", include("apps.news.urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("apps.promotions.urls")),
    path("", include("apps.payments.urls")),
    path("", include("apps.logistics.urls")),
    path("", include("apps.orders.urls")),
    path("", include("apps.aftersales.urls")),
    path("", include("apps.customer_service.urls")),
    path("", include("apps.traceability.urls")),
    path("", include("apps.analytics.urls")),
    path("", include("apps.catalog.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
elif settings.SERVE_MEDIA:
    # Single-host deployments (docker compose) without a separate file server.
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
