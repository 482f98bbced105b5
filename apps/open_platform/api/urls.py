from django.urls import path

from apps.open_platform.api import views

urlpatterns = [
    path("open/webhooks/", views.SubscriptionListCreateApi.as_view(), name="api-webhook-list"),
    path(
        "open/webhooks/<int:pk>/",
        views.SubscriptionDetailApi.as_view(),
        name="api-webhook-detail",
    ),
    path(
        "open/webhooks/<int:pk>/resume/",
        views.SubscriptionResumeApi.as_view(),
        name="api-webhook-resume",
    ),
    path(
        "open/webhooks/<int:pk>/deliveries/",
        views.DeliveryListApi.as_view(),
        name="api-webhook-deliveries",
    ),
    path(
        "open/webhook-deliveries/<int:pk>/redeliver/",
        views.DeliveryRedeliverApi.as_view(),
        name="api-webhook-redeliver",
    ),
]
