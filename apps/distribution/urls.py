from django.urls import path

from apps.distribution import views

app_name = "distribution"
urlpatterns = [
    path("", views.centre, name="centre"),
    path("apply/", views.apply, name="apply"),
    path("bind/", views.bind, name="bind"),
    path("commissions/", views.commissions, name="commissions"),
    path("team/", views.team, name="team"),
    path("withdrawals/", views.withdrawals, name="withdrawals"),
    path("poster.png", views.poster, name="poster"),
    path("ranking/", views.ranking, name="ranking"),
]
