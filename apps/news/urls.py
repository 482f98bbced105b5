from django.urls import path

from apps.news import views

app_name = "news"
urlpatterns = [
    path("", views.article_list, name="list"),
    path("<int:pk>/", views.article_detail, name="article"),
]
