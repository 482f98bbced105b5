from django.urls import path

from apps.wholesale import views

app_name = "wholesale"
urlpatterns = [
    path("", views.centre, name="centre"),
    path("apply/", views.apply, name="apply"),
    path("ledger/", views.ledger, name="ledger"),
    path("statements/<int:pk>/", views.statement_detail, name="statement_detail"),
    path("statements/<int:pk>/print/", views.statement_print, name="statement_print"),
]
