"""Settlement API: a merchant's statements, ledger and balance; finance confirms, pays out and
adjusts.

Every read goes through apps.settlement.selectors with the user, so another store's statement
or entry is simply not found (404). Writes need the settlement permissions (403 otherwise).
"""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import StandardPagination, error_responses, token_first_authentication
from apps.core.errors import ApplicationError
from apps.settlement.api.serializers import (
    AdjustmentInputSerializer,
    LedgerEntrySerializer,
    LedgerFilterSerializer,
    PayoutInputSerializer,
    SettlementStatementDetailSerializer,
    SettlementStatementSerializer,
    StatementFilterSerializer,
    StoreBalanceSerializer,
)
from apps.settlement.exports import statement_csv
from apps.settlement.models import LedgerEntry, SettlementStatement
from apps.settlement.selectors import (
    ledger_list_for_user,
    statement_entries,
    statement_events,
    statement_get_for_user,
    statement_list_for_user,
    statement_verify,
    store_balances_for_user,
    user_can_adjust_ledger,
    user_can_confirm_statements,
    user_can_pay_out_statements,
)
from apps.settlement.services import (
    settlement_adjustment_add,
    settlement_statement_confirm,
    settlement_statement_mark_paid_out,
)
from apps.stores.api.permissions import IsStoreMemberOrStaff
from apps.stores.selectors import stores_for_user

TAG = _("结算")
# This API's wording of some error statuses (the rest: apps.core.api.ERROR_DESCRIPTIONS).
ERROR_TEXTS = {
    400: _("输入有误或业务规则拒绝"),
    404: _("不存在，或不属于您的店铺"),
    409: _("状态不允许，或与流水不一致"),
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return error_responses(*codes, texts=ERROR_TEXTS)


class IsMerchantOrPlatformStaff(IsStoreMemberOrStaff):
    message = _("只有店铺成员或平台运营、财务人员可以查看结算信息。")


class CanConfirmStatements(BasePermission):
    message = _("只有财务或平台运营人员可以确认结算单。")

    def has_permission(self, request: Request, view) -> bool:
        return user_can_confirm_statements(request.user)


class CanPayOutStatements(BasePermission):
    message = _("只有财务或平台运营人员可以标记结算单已打款。")

    def has_permission(self, request: Request, view) -> bool:
        return user_can_pay_out_statements(request.user)


class CanAdjustLedger(BasePermission):
    message = _("只有财务或平台运营人员可以登记调账。")

    def has_permission(self, request: Request, view) -> bool:
        return user_can_adjust_ledger(request.user)


class SettlementApi(APIView):
    # Token first, so an anonymous caller gets 401 with `WWW-Authenticate: Token`.
    authentication_classes = token_first_authentication()
    permission_classes = [IsAuthenticated, IsMerchantOrPlatformStaff]

    def statement(self, request: Request, pk: int) -> SettlementStatement:
        statement = statement_get_for_user(user=request.user, pk=pk)
        if statement is None:
            raise NotFound(_("结算单不存在。"))
        return statement


def _parse(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _detail(statement: SettlementStatement) -> dict:
    statement.entry_rows = list(statement_entries(statement=statement))
    statement.event_rows = list(statement_events(statement=statement))
    statement.is_consistent = statement_verify(statement=statement).is_consistent
    return SettlementStatementDetailSerializer(statement).data


@extend_schema(tags=[TAG])
class StatementListApi(SettlementApi, GenericAPIView):
    serializer_class = SettlementStatementSerializer

    def get_queryset(self) -> QuerySet[SettlementStatement]:
        if getattr(self, "swagger_fake_view", False):
            return SettlementStatement.objects.none()
        filters = _parse(StatementFilterSerializer, self.request.query_params)
        return statement_list_for_user(
            user=self.request.user, store_id=filters.get("store"), status=filters.get("status")
        )

    @extend_schema(
        summary=_("结算单列表（商家：本店；财务/运营：全部）"),
        parameters=[StatementFilterSerializer],
        responses={200: SettlementStatementSerializer(many=True), **_errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(tags=[TAG])
class StatementDetailApi(SettlementApi):
    @extend_schema(
        summary=_("结算单详情（含流水与处理记录）"),
        responses={200: SettlementStatementDetailSerializer, **_errors(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_detail(self.statement(request, pk)))


@extend_schema(tags=[TAG])
class StatementExportApi(SettlementApi):
    @extend_schema(
        summary=_("导出结算单 CSV"),
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=_("UTF-8 CSV")),
            **_errors(401, 403, 404),
        },
    )
    def get(self, request: Request, pk: int):
        statement = self.statement(request, pk)
        return statement_csv(statement, statement_entries(statement=statement))


@extend_schema(tags=[TAG])
class StatementConfirmApi(SettlementApi):
    permission_classes = [IsAuthenticated, CanConfirmStatements]

    @extend_schema(
        summary=_("确认结算单（财务）"),
        request=None,
        responses={200: SettlementStatementDetailSerializer, **_errors(401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        statement = settlement_statement_confirm(
            statement=self.statement(request, pk), actor=request.user
        )
        return Response(_detail(statement))


@extend_schema(tags=[TAG])
class StatementMarkPaidOutApi(SettlementApi):
    permission_classes = [IsAuthenticated, CanPayOutStatements]

    @extend_schema(
        summary=_("标记结算单已打款（财务）"),
        request=PayoutInputSerializer,
        responses={200: SettlementStatementDetailSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = _parse(PayoutInputSerializer, request.data)
        statement = settlement_statement_mark_paid_out(
            statement=self.statement(request, pk),
            actor=request.user,
            payment_reference=data["payment_reference"],
        )
        return Response(_detail(statement))


@extend_schema(tags=[TAG])
class LedgerListApi(SettlementApi, GenericAPIView):
    serializer_class = LedgerEntrySerializer

    def get_queryset(self) -> QuerySet[LedgerEntry]:
        if getattr(self, "swagger_fake_view", False):
            return LedgerEntry.objects.none()
        filters = _parse(LedgerFilterSerializer, self.request.query_params)
        return ledger_list_for_user(
            user=self.request.user,
            store_id=filters.get("store"),
            type=filters.get("type"),
            statement_id=filters.get("statement"),
            is_settled=filters.get("settled"),
        )

    @extend_schema(
        summary=_("结算流水（新的在前）"),
        parameters=[LedgerFilterSerializer],
        responses={200: LedgerEntrySerializer(many=True), **_errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(tags=[TAG])
class BalanceListApi(SettlementApi):
    @extend_schema(
        summary=_("店铺结算余额"),
        responses={200: StoreBalanceSerializer(many=True), **_errors(401, 403)},
    )
    def get(self, request: Request) -> Response:
        stores = store_balances_for_user(user=request.user)[: StandardPagination.max_page_size]
        return Response(StoreBalanceSerializer(stores, many=True).data)


@extend_schema(tags=[TAG])
class AdjustmentCreateApi(SettlementApi):
    permission_classes = [IsAuthenticated, CanAdjustLedger]

    @extend_schema(
        summary=_("登记调账（财务；必须填写原因）"),
        request=AdjustmentInputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description=_("重试同一请求时带相同的值，只记一笔"),
            )
        ],
        responses={201: LedgerEntrySerializer, **_errors(400, 401, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        data = _parse(AdjustmentInputSerializer, request.data)
        store = stores_for_user(request.user).filter(pk=data["store"]).first()
        if store is None:
            message = _("店铺不存在。")
            raise ApplicationError(message, code="invalid", fields={"store": [message]})
        entry = settlement_adjustment_add(
            store=store,
            amount=data["amount"],
            reason=data["reason"],
            actor=request.user,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
        return Response(LedgerEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
