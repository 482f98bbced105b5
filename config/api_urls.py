from django.urls import include, path

urlpatterns = [
    path("", include("apps.catalog.api.urls")),
    path("", include("apps.stores.api.urls")),
    path("", include("apps.accounts.api.urls")),
    path("", include("apps.traceability.api.urls")),
    path("", include("apps.wholesale.api.urls")),
    path("", include("apps.promotions.api.urls")),
    path("", include("apps.payments.api.urls")),
    path("", include("apps.orders.api.urls")),
    path("", include("apps.logistics.api.urls")),
    path("", include("apps.aftersales.api.urls")),
    path("", include("apps.settlement.api.urls")),
    path("", include("apps.customer_service.api.urls")),
    path("", include("apps.analytics.api.urls")),
    path("", include("apps.distribution.api.urls")),
    path("", include("apps.channels.api.urls")),
    path("", include("apps.open_platform.api.urls")),
]
