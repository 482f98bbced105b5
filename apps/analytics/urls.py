from django.urls import path

from apps.analytics import views

app_name = "analytics"

urlpatterns = [
    path("figures/", views.figures, name="figures"),
    path("market/", views.market, name="market"),
    path("market/<int:pk>/", views.commodity_detail, name="commodity"),
]
