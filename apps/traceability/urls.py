from django.urls import path, re_path

from apps.traceability import views

app_name = "traceability"
urlpatterns = [
    # Anything after /t/ reaches the view, so a mistyped code gets the friendly 404 page
    # (and counts against the lookup limits) rather than the generic one.
    re_path(r"^t/(?P<code>[^/]+)/?$", views.trace_page, name="trace"),
    path("trace/anchors/", views.anchors, name="anchors"),
    path(
        "trace/certificates/<int:pk>/print/",
        views.certificate_print,
        name="certificate_print",
    ),
    path("trace/code-batches/<int:pk>/sheet/", views.code_batch_sheet, name="code_batch_sheet"),
    path("trace/code-batches/<int:pk>/codes.csv", views.code_batch_csv, name="code_batch_csv"),
]
