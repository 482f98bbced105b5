"""Wholesale API for the buyer: its organisation, ledger, statements and tier prices.

Everything is scoped to the signed-in user's organisation; another organisation's rows are
not found (404). Tier prices are for verified buyers only (403 otherwise).
"""

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import error_responses, token_first_authentication
from apps.core.errors import ApplicationError, NotFoundError
from apps.wholesale.api.serializers import (
    BuyerApplicationInputSerializer,
    BuyerOrganisationSerializer,
    BuyerStatementDetailSerializer,
    BuyerStatementSerializer,
    CreditEntrySerializer,
    WholesaleOfferSerializer,
)
from apps.wholesale.errors import WholesaleErrorCode
from apps.wholesale.models import BuyerOrganisation, BuyerStatement, CreditEntry
from apps.wholesale.selectors import (
    buyer_organisation_for_user,
    buyer_statement_entries,
    buyer_statement_list_for_organisation,
    credit_entry_list_for_organisation,
    credit_summary,
    skus_for_wholesale_prices,
    verified_organisation_for_user,
    wholesale_offer,
)
from apps.wholesale.services import buyer_organisation_apply

TAG_WHOLESALE = "批发采购"
MAX_PRICE_SKUS = 100


class BuyerApiMixin:
    """Signed-in users only; `organisation()` is the user's own (or None)."""

    # Token first, so an anonymous call gets 401 with `WWW-Authenticate: Token`.
    authentication_classes = token_first_authentication()
    permission_classes = [IsAuthenticated]

    def organisation(self) -> BuyerOrganisation | None:
        if getattr(self, "swagger_fake_view", False):
            return None
        return buyer_organisation_for_user(user=self.request.user)


def _organisation_data(organisation: BuyerOrganisation) -> dict:
    summary = credit_summary(organisation=organisation)
    organisation.credit_owed = summary.owed
    organisation.credit_available = summary.available
    return BuyerOrganisationSerializer(organisation).data


@extend_schema(tags=[TAG_WHOLESALE])
class BuyerOrganisationApi(BuyerApiMixin, APIView):
    """The signed-in user's buyer organisation: status, credit limit, owed and available."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        summary="我的采购单位", responses={200: BuyerOrganisationSerializer, **error_responses(404)}
    )
    def get(self, request: Request) -> Response:
        organisation = self.organisation()
        if organisation is None:
            raise NotFoundError(
                _("您还没有申请批发采购。"), code=WholesaleErrorCode.NO_ORGANISATION
            )
        return Response(_organisation_data(organisation))

    @extend_schema(
        summary="申请成为批发采购商（或被驳回后重新提交）",
        request={
            "multipart/form-data": BuyerApplicationInputSerializer,
            "application/json": BuyerApplicationInputSerializer,
        },
        responses={201: BuyerOrganisationSerializer},
    )
    def post(self, request: Request) -> Response:
        data = BuyerApplicationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = buyer_organisation_apply(user=request.user, **data.validated_data)
        return Response(_organisation_data(organisation), status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="我的月结账单"),
    retrieve=extend_schema(summary="月结账单详情（含明细）"),
)
@extend_schema(tags=[TAG_WHOLESALE])
class BuyerStatementViewSet(
    BuyerApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Monthly statements of the user's organisation; another organisation's are not found."""

    lookup_value_regex = r"\d+"

    def get_serializer_class(self):
        if self.action == "retrieve":
            return BuyerStatementDetailSerializer
        return BuyerStatementSerializer

    def get_queryset(self) -> QuerySet[BuyerStatement]:
        return buyer_statement_list_for_organisation(organisation=self.organisation())

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        statement = self.get_object()
        statement.entries = list(buyer_statement_entries(statement=statement))
        return Response(BuyerStatementDetailSerializer(statement).data)


@extend_schema(tags=[TAG_WHOLESALE], summary="我的账期流水（新的在前）")
class CreditEntryListApi(BuyerApiMixin, ListAPIView):
    """Charges are positive; releases, refunds and repayments negative; the sum is owed."""

    serializer_class = CreditEntrySerializer

    def get_queryset(self) -> QuerySet[CreditEntry]:
        organisation = self.organisation()
        if organisation is None:
            return CreditEntry.objects.none()
        return credit_entry_list_for_organisation(organisation=organisation)


def _parse_sku_ids(raw: str) -> list[int]:
    parts = [part.strip() for part in (raw or "").split(",") if part.strip()]
    if not parts or not all(part.isdigit() for part in parts) or len(parts) > MAX_PRICE_SKUS:
        message = _("sku 应为 1 到 %(max)d 个以逗号分隔的 SKU 编号。") % {"max": MAX_PRICE_SKUS}
        raise ApplicationError(message, code="invalid", fields={"sku": [message]})
    return sorted({int(part) for part in parts})


@extend_schema(tags=[TAG_WHOLESALE])
class WholesalePricesApi(BuyerApiMixin, APIView):
    """Tiers, minimum order quantity and per-range unit prices of on-sale SKUs; unknown or
    off-sale SKUs are left out. 403 for anyone but a verified buyer."""

    @extend_schema(
        summary="SKU 批发阶梯价（仅认证采购商）",
        parameters=[
            OpenApiParameter(
                "sku",
                OpenApiTypes.STR,
                required=True,
                description="SKU 编号，多个以逗号分隔，如 12,15",
            )
        ],
        responses={200: WholesaleOfferSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        organisation = verified_organisation_for_user(user=request.user)
        if organisation is None:
            raise ApplicationError(
                _("仅认证批发采购商可查看批发价。"),
                code=WholesaleErrorCode.NOT_VERIFIED,
                status_code=status.HTTP_403_FORBIDDEN,
            )
        sku_ids = _parse_sku_ids(request.query_params.get("sku", ""))
        offers = [
            wholesale_offer(sku=sku, organisation=organisation)
            for sku in skus_for_wholesale_prices(sku_ids=sku_ids)
        ]
        return Response(WholesaleOfferSerializer(offers, many=True).data)
