from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.traceability.api import views

router = SimpleRouter()
router.register("trace/anchors", views.AnchorViewSet, basename="api-trace-anchor")
router.register("merchant/trace/parties", views.PartyViewSet, basename="api-trace-party")
router.register("merchant/trace/locations", views.LocationViewSet, basename="api-trace-location")
router.register("merchant/trace/lots", views.LotViewSet, basename="api-trace-lot")
router.register("merchant/trace/inputs", views.InputApplicationViewSet, basename="api-trace-input")
router.register(
    "merchant/trace/inspections", views.InspectionViewSet, basename="api-trace-inspection"
)
router.register(
    "merchant/trace/certificates", views.CertificateViewSet, basename="api-trace-certificate"
)
router.register("merchant/trace/events", views.EventViewSet, basename="api-trace-event")

urlpatterns = [
    path(
        "trace/codes/<str:code>/",
        views.TraceCodePublicApi.as_view(),
        name="api-trace-code",
    ),
    path(
        "merchant/trace/chain/verify/",
        views.ChainVerifyApi.as_view(),
        name="api-trace-chain-verify",
    ),
    *router.urls,
]
