from django.urls import path

from apps.payments import views
from apps.payments.api.views import PaymentNotifyApi

app_name = "payments"

urlpatterns = [
    path("pay/sandbox/<str:out_trade_no>/", views.sandbox_cashier_view, name="sandbox_cashier"),
    path("pay/<str:number>/", views.payment_start_view, name="start"),
    path("pay/<str:number>/result/", views.payment_result_view, name="result"),
    path("payments/notify/<slug:provider>/", PaymentNotifyApi.as_view(), name="notify"),
]
