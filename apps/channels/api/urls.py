from django.urls import path

from apps.channels.api import views

urlpatterns = [
    path("channels/", views.ChannelListApi.as_view(), name="api-channel-list"),
    path(
        "channels/listings/",
        views.ChannelListingListCreateApi.as_view(),
        name="api-channel-listing-list",
    ),
    path(
        "channels/listings/<int:pk>/",
        views.ChannelListingDetailApi.as_view(),
        name="api-channel-listing-detail",
    ),
    path("channels/orders/", views.ChannelOrderListCreateApi.as_view(), name="api-channel-orders"),
    path("channels/report/", views.ChannelSalesReportApi.as_view(), name="api-channel-report"),
    path(
        "channels/<slug:code>/feed.json",
        views.ChannelFeedJsonApi.as_view(),
        name="api-channel-feed-json",
    ),
    path(
        "channels/<slug:code>/feed.csv",
        views.ChannelFeedCsvApi.as_view(),
        name="api-channel-feed-csv",
    ),
]
