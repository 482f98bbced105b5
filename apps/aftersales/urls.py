from django.urls import path

from apps.aftersales import views

app_name = "aftersales"
urlpatterns = [
    path("aftersales/", views.aftersale_list, name="list"),
    path("aftersales/new/", views.aftersale_new, name="new"),
    path("aftersales/<str:number>/", views.aftersale_detail, name="detail"),
    path("aftersales/<str:number>/ship-back/", views.aftersale_ship_back_view, name="ship_back"),
    path("aftersales/<str:number>/escalate/", views.aftersale_escalate_view, name="escalate"),
    path("aftersales/<str:number>/withdraw/", views.aftersale_withdraw_view, name="withdraw"),
    path("reviews/orders/<str:number>/", views.order_review, name="order_review"),
    path("p/<int:pk>/reviews/", views.product_reviews, name="product_reviews"),
]
