from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.wholesale.api import views

router = SimpleRouter()
router.register(
    "wholesale/statements", views.BuyerStatementViewSet, basename="api-wholesale-statement"
)

urlpatterns = [
    path(
        "wholesale/organisation/",
        views.BuyerOrganisationApi.as_view(),
        name="api-wholesale-organisation",
    ),
    path("wholesale/ledger/", views.CreditEntryListApi.as_view(), name="api-wholesale-ledger"),
    path("wholesale/prices/", views.WholesalePricesApi.as_view(), name="api-wholesale-prices"),
    *router.urls,
]
