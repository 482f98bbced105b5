from django.urls import path

from apps.stores import views

app_name = "stores"
urlpatterns = [
    path("apply/", views.store_apply, name="apply"),
    path("divisions/", views.division_children, name="division_children"),
    path("applications/", views.store_application_list, name="application_list"),
]
