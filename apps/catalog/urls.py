from django.urls import path

from apps.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.home, name="home"),
    path("c/<slug:slug>/", views.category_detail, name="category"),
    path("search/", views.search, name="search"),
    path("p/<int:pk>/", views.product_detail, name="product_detail"),
    path("s/<slug:slug>/", views.store_detail, name="store_detail"),
]
