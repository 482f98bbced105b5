from django.urls import path

from apps.logistics.api import tracking, views

urlpatterns = [
    path("carriers/", views.CarrierListApi.as_view(), name="api-carrier-list"),
    path("shipments/", views.ShipmentListCreateApi.as_view(), name="api-shipment-list"),
    path("shipments/<int:pk>/", views.ShipmentDetailApi.as_view(), name="api-shipment-detail"),
    # Scans, temperature readings, the carrier push and the public lookup.
    path(
        "shipments/<int:pk>/tracking/",
        tracking.ShipmentTrackingApi.as_view(),
        name="api-shipment-tracking",
    ),
    path(
        "shipments/<int:pk>/temperature/",
        tracking.ShipmentTemperatureApi.as_view(),
        name="api-shipment-temperature",
    ),
    path(
        "logistics/webhooks/<slug:feed_code>/",
        tracking.TrackingWebhookApi.as_view(),
        name="api-logistics-webhook",
    ),
    path("logistics/track/", tracking.TrackLookupApi.as_view(), name="api-logistics-track"),
]
