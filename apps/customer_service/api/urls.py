from django.urls import path

from apps.customer_service.api import views

STAFF_MOVES = {
    "acknowledge": views.StaffAcknowledgeApi,
    "assign": views.StaffAssignApi,
    "start": views.StaffStartApi,
    "pend": views.StaffPendApi,
    "resolve": views.StaffResolveApi,
    "reject": views.StaffRejectApi,
    "priority": views.StaffPriorityApi,
    "reply": views.StaffReplyApi,
}

urlpatterns = [
    path("service/cases/", views.CaseListCreateApi.as_view(), name="api-case-list"),
    path("service/cases/<str:number>/", views.CaseDetailApi.as_view(), name="api-case-detail"),
    path("service/cases/<str:number>/reply/", views.CaseReplyApi.as_view(), name="api-case-reply"),
    path(
        "service/cases/<str:number>/confirm/",
        views.CaseConfirmApi.as_view(),
        name="api-case-confirm",
    ),
    path(
        "service/cases/<str:number>/reopen/",
        views.CaseReopenApi.as_view(),
        name="api-case-reopen",
    ),
    path(
        "merchant/service/cases/",
        views.MerchantCaseListApi.as_view(),
        name="api-merchant-case-list",
    ),
    path(
        "merchant/service/cases/<str:number>/reply/",
        views.MerchantCaseReplyApi.as_view(),
        name="api-merchant-case-reply",
    ),
    path("staff/service/cases/", views.StaffCaseListApi.as_view(), name="api-staff-case-list"),
    *[
        path(
            f"staff/service/cases/<str:number>/{move}/",
            view.as_view(),
            name=f"api-staff-case-{move}",
        )
        for move, view in STAFF_MOVES.items()
    ],
]
