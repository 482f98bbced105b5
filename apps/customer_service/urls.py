from django.urls import path

from apps.customer_service import views

app_name = "customer_service"
urlpatterns = [
    path("service/complaints/", views.case_list, name="case_list"),
    path("service/complaints/new/", views.complaint_new, name="complaint_new"),
    path("service/complaints/phone-code/", views.phone_code, name="phone_code"),
    path("service/complaints/c/<str:key>/", views.case_detail, name="case_by_key"),
    path("service/complaints/<str:number>/", views.case_detail, name="case_detail"),
    path("service/surveys/<str:token>/", views.survey_answer_view, name="survey_answer"),
]
