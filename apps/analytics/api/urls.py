from django.urls import path

from apps.analytics.api import views

urlpatterns = [
    path("analytics/sales/", views.SalesSeriesApi.as_view(), name="api-analytics-sales"),
    path("analytics/sales/top/", views.SalesTopApi.as_view(), name="api-analytics-sales-top"),
    path("analytics/demand/", views.DemandSeriesApi.as_view(), name="api-analytics-demand"),
    path("analytics/alerts/", views.AlertListApi.as_view(), name="api-analytics-alerts"),
    path("market/commodities/", views.CommodityListApi.as_view(), name="api-market-commodities"),
    path(
        "market/commodities/<int:pk>/prices/",
        views.CommodityPriceApi.as_view(),
        name="api-market-commodity-prices",
    ),
    path("market/quotes/", views.QuoteListApi.as_view(), name="api-market-quotes"),
]
