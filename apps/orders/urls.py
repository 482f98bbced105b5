from django.urls import path

from apps.orders import views

app_name = "orders"
urlpatterns = [
    path("cart/", views.cart_detail, name="cart"),
    path("cart/add/", views.cart_add_view, name="cart_add"),
    path("cart/lines/<int:line_id>/", views.cart_line_update, name="cart_line_update"),
    path("cart/lines/<int:line_id>/remove/", views.cart_line_delete, name="cart_line_remove"),
    path("cart/clear-unavailable/", views.cart_clear_unavailable, name="cart_clear_unavailable"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<str:number>/", views.order_detail, name="order_detail"),
    path("orders/<str:number>/cancel/", views.order_cancel_view, name="order_cancel"),
    path("orders/<str:number>/confirm/", views.order_confirm_view, name="order_confirm"),
    path("me/addresses/", views.address_list, name="address_list"),
    path("me/addresses/new/", views.address_create, name="address_create"),
    path("me/addresses/<int:pk>/edit/", views.address_edit, name="address_edit"),
    path("me/addresses/<int:pk>/delete/", views.address_delete_view, name="address_delete"),
    path("me/addresses/<int:pk>/default/", views.address_default_view, name="address_default"),
]
