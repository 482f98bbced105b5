from django.urls import path
from django.views.generic import RedirectView

from apps.customer_service import desk_views, views

app_name = "customer_service"
urlpatterns = [
    path("service/complaints/", views.case_list, name="case_list"),
    path("service/complaints/new/", views.complaint_new, name="complaint_new"),
    path("service/complaints/phone-code/", views.phone_code, name="phone_code"),
    path("service/complaints/c/<str:key>/", views.case_detail, name="case_by_key"),
    path("service/complaints/<str:number>/", views.case_detail, name="case_detail"),
    path("service/surveys/<str:token>/", views.survey_answer_view, name="survey_answer"),
    # The staff back office (客服工作台).
    path("service/", RedirectView.as_view(pattern_name="customer_service:desk_queue")),
    path("service/queue/", desk_views.desk_queue, name="desk_queue"),
    path("service/cases/<str:number>/", desk_views.desk_case, name="desk_case"),
    path("service/cases/<str:number>/claim/", desk_views.desk_claim, name="desk_claim"),
    path(
        "service/cases/<str:number>/do/<str:move>/",
        desk_views.desk_case_move,
        name="desk_case_move",
    ),
    path("service/callbacks/", desk_views.desk_callbacks, name="desk_callbacks"),
    path("service/callbacks/<int:pk>/", desk_views.desk_callback, name="desk_callback"),
    path(
        "service/callbacks/<int:pk>/print/",
        desk_views.desk_callback_print,
        name="desk_callback_print",
    ),
    path("service/customers/", desk_views.desk_customers, name="desk_customers"),
    path("service/customers/<int:user_id>/", desk_views.desk_customer, name="desk_customer"),
    path(
        "service/customers/<int:user_id>/confidential/",
        desk_views.desk_customer_confidential,
        name="desk_customer_confidential",
    ),
    path(
        "service/customers/<int:user_id>/tier/",
        desk_views.desk_customer_tier,
        name="desk_customer_tier",
    ),
    path("service/reports/", desk_views.desk_reports, name="desk_reports"),
]
