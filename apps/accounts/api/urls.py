from django.urls import path

from apps.accounts.api.views import MeApi, TokenObtainApi

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="api-auth-token"),
    path("me/", MeApi.as_view(), name="api-me"),
]
