from django.urls import path

from apps.aftersales.api import views

urlpatterns = [
    path("aftersales/", views.AfterSaleListCreateApi.as_view(), name="api-aftersale-list"),
    path(
        "aftersales/<str:number>/",
        views.AfterSaleDetailApi.as_view(),
        name="api-aftersale-detail",
    ),
    path(
        "aftersales/<str:number>/photos/",
        views.AfterSalePhotoApi.as_view(),
        name="api-aftersale-photos",
    ),
    path(
        "aftersales/<str:number>/ship-back/",
        views.AfterSaleShipBackApi.as_view(),
        name="api-aftersale-ship-back",
    ),
    path(
        "aftersales/<str:number>/escalate/",
        views.AfterSaleEscalateApi.as_view(),
        name="api-aftersale-escalate",
    ),
    path(
        "aftersales/<str:number>/withdraw/",
        views.AfterSaleWithdrawApi.as_view(),
        name="api-aftersale-withdraw",
    ),
    path(
        "merchant/aftersales/",
        views.MerchantAfterSaleListApi.as_view(),
        name="api-merchant-aftersale-list",
    ),
    path(
        "merchant/aftersales/<str:number>/",
        views.MerchantAfterSaleDetailApi.as_view(),
        name="api-merchant-aftersale-detail",
    ),
    path(
        "merchant/aftersales/<str:number>/approve/",
        views.MerchantAfterSaleApproveApi.as_view(),
        name="api-merchant-aftersale-approve",
    ),
    path(
        "merchant/aftersales/<str:number>/reject/",
        views.MerchantAfterSaleRejectApi.as_view(),
        name="api-merchant-aftersale-reject",
    ),
    path(
        "merchant/aftersales/<str:number>/received/",
        views.MerchantAfterSaleReceivedApi.as_view(),
        name="api-merchant-aftersale-received",
    ),
    path(
        "products/<int:pk>/reviews/",
        views.ProductReviewListApi.as_view(),
        name="api-product-reviews",
    ),
    path(
        "products/<int:pk>/rating/",
        views.ProductRatingApi.as_view(),
        name="api-product-rating",
    ),
    path("reviews/", views.ReviewListCreateApi.as_view(), name="api-review-list"),
    path("reviews/<int:pk>/photos/", views.ReviewPhotoApi.as_view(), name="api-review-photos"),
    path(
        "merchant/reviews/",
        views.MerchantReviewListApi.as_view(),
        name="api-merchant-review-list",
    ),
    path(
        "merchant/reviews/<int:pk>/reply/",
        views.MerchantReviewReplyApi.as_view(),
        name="api-merchant-review-reply",
    ),
]
