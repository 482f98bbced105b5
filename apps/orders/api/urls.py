from django.urls import path

from apps.orders.api import views

NUMBER = "<str:number>"

urlpatterns = [
    path("divisions/", views.DivisionListApi.as_view(), name="api-division-list"),
    path("addresses/", views.AddressListCreateApi.as_view(), name="api-address-list"),
    path("addresses/<int:pk>/", views.AddressDetailApi.as_view(), name="api-address-detail"),
    path(
        "addresses/<int:pk>/default/", views.AddressDefaultApi.as_view(), name="api-address-default"
    ),
    path("cart/", views.CartApi.as_view(), name="api-cart"),
    path("cart/lines/", views.CartLineCreateApi.as_view(), name="api-cart-lines"),
    path("cart/lines/<int:pk>/", views.CartLineDetailApi.as_view(), name="api-cart-line"),
    path("checkout/preview/", views.CheckoutPreviewApi.as_view(), name="api-checkout-preview"),
    path("checkout/", views.CheckoutApi.as_view(), name="api-checkout"),
    path(
        f"payment-orders/{NUMBER}/",
        views.PaymentOrderDetailApi.as_view(),
        name="api-payment-order-detail",
    ),
    path("orders/", views.OrderListApi.as_view(), name="api-order-list"),
    path(f"orders/{NUMBER}/", views.OrderDetailApi.as_view(), name="api-order-detail"),
    path(f"orders/{NUMBER}/cancel/", views.OrderCancelApi.as_view(), name="api-order-cancel"),
    path(
        f"orders/{NUMBER}/confirm-receipt/",
        views.OrderConfirmReceiptApi.as_view(),
        name="api-order-confirm-receipt",
    ),
    path("merchant/orders/", views.MerchantOrderListApi.as_view(), name="api-merchant-order-list"),
    path(
        f"merchant/orders/{NUMBER}/",
        views.MerchantOrderDetailApi.as_view(),
        name="api-merchant-order-detail",
    ),
]
