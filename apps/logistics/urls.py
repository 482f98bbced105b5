from django.urls import path

from apps.logistics import admin_tracking, views, views_pickup

app_name = "logistics"

urlpatterns = [
    # The public lookup by waybill number and phone tail.
    path("track/", views.track_page, name="track"),
    # Back office: CSV imports and the manual scan form (linked from the parcel admin).
    path("logistics/tracking/import/", admin_tracking.tracking_import_view, name="tracking_import"),
    path(
        "logistics/temperature/import/",
        admin_tracking.temperature_import_view,
        name="temperature_import",
    ),
    path(
        "logistics/shipments/<int:pk>/tracking/add/",
        admin_tracking.tracking_add_view,
        name="tracking_add",
    ),
    # Community pickup points: the clerk's page (scan in, hand over by pickup code).
    path("pickup/", views_pickup.pickup_home, name="pickup"),
    path("pickup/<int:point_id>/arrive/", views_pickup.pickup_arrive, name="pickup_arrive"),
    path(
        "pickup/<int:point_id>/hand-over/",
        views_pickup.pickup_hand_over_view,
        name="pickup_hand_over",
    ),
]
