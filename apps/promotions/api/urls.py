from django.urls import path

from apps.promotions.api import views

urlpatterns = [
    path("coupons/", views.CouponCenterApi.as_view(), name="api-coupons"),
    path("coupons/<int:pk>/claim/", views.CouponClaimApi.as_view(), name="api-coupon-claim"),
    path("coupons/redeem/", views.CouponRedeemApi.as_view(), name="api-coupon-redeem"),
    path("me/coupons/", views.MyCouponListApi.as_view(), name="api-my-coupons"),
]
