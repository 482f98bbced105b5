from django.urls import path

from apps.settlement.api import views

urlpatterns = [
    path(
        "settlement/statements/",
        views.StatementListApi.as_view(),
        name="api-settlement-statement-list",
    ),
    path(
        "settlement/statements/<int:pk>/",
        views.StatementDetailApi.as_view(),
        name="api-settlement-statement-detail",
    ),
    path(
        "settlement/statements/<int:pk>/export/",
        views.StatementExportApi.as_view(),
        name="api-settlement-statement-export",
    ),
    path(
        "settlement/statements/<int:pk>/confirm/",
        views.StatementConfirmApi.as_view(),
        name="api-settlement-statement-confirm",
    ),
    path(
        "settlement/statements/<int:pk>/mark-paid-out/",
        views.StatementMarkPaidOutApi.as_view(),
        name="api-settlement-statement-mark-paid-out",
    ),
    path("settlement/ledger/", views.LedgerListApi.as_view(), name="api-settlement-ledger"),
    path("settlement/balances/", views.BalanceListApi.as_view(), name="api-settlement-balances"),
    path(
        "settlement/adjustments/",
        views.AdjustmentCreateApi.as_view(),
        name="api-settlement-adjustments",
    ),
]
