from django.urls import include, path

urlpatterns = [
    path("", include("apps.catalog.api.urls")),
    path("", include("apps.stores.api.urls")),
    path("", include("apps.accounts.api.urls")),
]
