from django.urls import path

from apps.payments.api.views import PaymentDetailApi, PaymentStartApi

urlpatterns = [
    path("payments/", PaymentStartApi.as_view(), name="api-payment-start"),
    path("payments/<str:out_trade_no>/", PaymentDetailApi.as_view(), name="api-payment-detail"),
]
