from django.urls import path

from apps.promotions import views

app_name = "promotions"
urlpatterns = [
    path("coupons/", views.coupon_center, name="coupon_center"),
    path("coupons/<int:pk>/claim/", views.coupon_claim_view, name="coupon_claim"),
    path("me/coupons/", views.my_coupons, name="my_coupons"),
]
