from django.urls import path

from apps.distribution.api import views

urlpatterns = [
    path("distribution/me/", views.MeApi.as_view(), name="api-distribution-me"),
    path("distribution/apply/", views.PromoterApplyApi.as_view(), name="api-distribution-apply"),
    path("distribution/bind/", views.BindApi.as_view(), name="api-distribution-bind"),
    path(
        "distribution/commissions/",
        views.CommissionListApi.as_view(),
        name="api-distribution-commissions",
    ),
    path("distribution/team/", views.TeamListApi.as_view(), name="api-distribution-team"),
    path(
        "distribution/withdrawals/",
        views.WithdrawalListCreateApi.as_view(),
        name="api-distribution-withdrawals",
    ),
    path(
        "distribution/staff/promoters/",
        views.StaffPromoterListApi.as_view(),
        name="api-distribution-staff-promoters",
    ),
    path(
        "distribution/staff/commissions/",
        views.StaffCommissionListApi.as_view(),
        name="api-distribution-staff-commissions",
    ),
    path(
        "distribution/staff/withdrawals/",
        views.StaffWithdrawalListApi.as_view(),
        name="api-distribution-staff-withdrawals",
    ),
    path(
        "distribution/staff/product-sales/",
        views.StaffProductSalesApi.as_view(),
        name="api-distribution-staff-product-sales",
    ),
    *(
        path(
            f"distribution/staff/withdrawals/<int:pk>/{action}/",
            views.StaffWithdrawalActionApi.as_view(action_name=action),
            name=f"api-distribution-staff-withdrawal-{action}",
        )
        for action in ("approve", "reject", "mark-paid", "mark-failed")
    ),
]
