"""Distribution API: the promoter centre (any signed-in user; promoter data only for
promoters) and the staff side (promoters, commission ledger, withdrawal queue), by
permission. Every change goes through apps.distribution.services."""

from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import error_responses
from apps.distribution.api.serializers import (
    ApplyInputSerializer,
    BindInputSerializer,
    CommissionSerializer,
    PayoutInputSerializer,
    ProductSalesSerializer,
    PromoterCentreSerializer,
    PromoterSerializer,
    StaffCommissionSerializer,
    StaffPromoterSerializer,
    StaffWithdrawalSerializer,
    TeamMemberSerializer,
    WithdrawalInputSerializer,
    WithdrawalReasonInputSerializer,
    WithdrawalSerializer,
)
from apps.distribution.exports import csv_response
from apps.distribution.models import CommissionRecord, Promoter, ReferralBinding, Withdrawal
from apps.distribution.selectors import (
    commission_list_for_promoter,
    mask_name,
    promoter_for_user,
    promoter_sales_by_product,
    promoter_summary,
    share_url,
    team_members,
    withdrawal_list_for_promoter,
)
from apps.distribution.services.binding import referral_bind
from apps.distribution.services.promoters import promoter_apply
from apps.distribution.services.withdrawals import (
    withdrawal_apply,
    withdrawal_approve,
    withdrawal_mark_failed,
    withdrawal_mark_paid,
    withdrawal_reject,
)

TAG = _("分销")
STAFF_TAG = _("分销（平台）")


def _promoter_or_404(request: Request) -> Promoter:
    promoter = promoter_for_user(user=request.user)
    if promoter is None or promoter.status not in (
        Promoter.Status.ACTIVE,
        Promoter.Status.DISABLED,
    ):
        raise NotFound(_("您还不是推广员。"))
    return promoter


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=[TAG], summary=_("我的推广中心"), responses={200: PromoterCentreSerializer})
    def get(self, request: Request) -> Response:
        promoter = promoter_for_user(user=request.user)
        is_open = promoter is not None and promoter.status != Promoter.Status.PENDING
        binding = getattr(request.user, "referral_binding", None)
        data = {
            "promoter": promoter,
            "summary": promoter_summary(promoter=promoter) if is_open else None,
            "share_link": share_url("/", promoter.code) if is_open else None,
            "upline_code": binding.promoter.code if binding else None,
        }
        return Response(PromoterCentreSerializer(data).data)


class PromoterApplyApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=[TAG],
        summary=_("申请成为推广员"),
        request=ApplyInputSerializer,
        responses={201: PromoterSerializer, **error_responses(400, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        data = ApplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        promoter = promoter_apply(user=request.user, **data.validated_data)
        return Response(PromoterSerializer(promoter).data, status=status.HTTP_201_CREATED)


class BindApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=[TAG],
        summary=_("用推广码绑定推广人"),
        request=BindInputSerializer,
        responses={204: None, **error_responses(400, 409)},
    )
    def post(self, request: Request) -> Response:
        data = BindInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        referral_bind(user=request.user, code=data.validated_data["code"], source="code")
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=[TAG], summary=_("我的佣金明细"), responses={200: CommissionSerializer})
class CommissionListApi(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = CommissionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CommissionRecord.objects.none()
        return commission_list_for_promoter(promoter=_promoter_or_404(self.request))


@extend_schema(
    tags=[TAG],
    summary=_("我的团队（姓名脱敏）"),
    parameters=[OpenApiParameter("level", int, enum=[1, 2])],
    responses={200: TeamMemberSerializer(many=True)},
)
class TeamListApi(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = TeamMemberSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReferralBinding.objects.none()
        level = 2 if self.request.query_params.get("level") == "2" else 1
        return team_members(promoter=_promoter_or_404(self.request), level=level)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows = [{"name": mask_name(b.user.name), "bound_at": b.bound_at} for b in page]
        return self.get_paginated_response(TeamMemberSerializer(rows, many=True).data)


class WithdrawalListCreateApi(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = WithdrawalSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Withdrawal.objects.none()
        return withdrawal_list_for_promoter(promoter=_promoter_or_404(self.request))

    @extend_schema(tags=[TAG], summary=_("我的提现记录"))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=[TAG],
        summary=_("申请提现（立即从余额扣除）"),
        request=WithdrawalInputSerializer,
        responses={201: WithdrawalSerializer, **error_responses(400, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        promoter = _promoter_or_404(request)
        data = WithdrawalInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        withdrawal = withdrawal_apply(promoter=promoter, **data.validated_data)
        return Response(WithdrawalSerializer(withdrawal).data, status=status.HTTP_201_CREATED)


# --- staff -----------------------------------------------------------------------------------


def _has(permission: str):
    class HasPermission(BasePermission):
        message = _("无权查看或操作分销数据。")

        def has_permission(self, request, view) -> bool:
            return bool(request.user and request.user.has_perm(permission))

    return HasPermission


@extend_schema(tags=[STAFF_TAG], summary=_("推广员列表"))
class StaffPromoterListApi(ListAPIView):
    permission_classes = [IsAuthenticated, _has("distribution.view_promoter")]
    serializer_class = StaffPromoterSerializer
    filterset_fields = ["status", "grade"]

    def get_queryset(self):
        return (
            Promoter.objects.select_related("user", "grade")
            .annotate(team=Count("bindings", distinct=True))
            .order_by("-created_at", "-id")
        )


@extend_schema(tags=[STAFF_TAG], summary=_("佣金流水"))
class StaffCommissionListApi(ListAPIView):
    permission_classes = [IsAuthenticated, _has("distribution.view_commissionrecord")]
    serializer_class = StaffCommissionSerializer
    filterset_fields = ["status", "level", "store", "promoter", "order"]

    def get_queryset(self):
        return CommissionRecord.objects.select_related(
            "order", "line", "store", "promoter"
        ).order_by("-created_at", "-id")


@extend_schema(tags=[STAFF_TAG], summary=_("提现审核队列"))
class StaffWithdrawalListApi(ListAPIView):
    permission_classes = [IsAuthenticated, _has("distribution.view_withdrawal")]
    serializer_class = StaffWithdrawalSerializer
    filterset_fields = ["status", "method"]

    def get_queryset(self):
        return Withdrawal.objects.select_related("promoter").order_by("created_at", "id")


class StaffWithdrawalActionApi(APIView):
    """approve | reject (reason) | mark-paid (payout_reference) | mark-failed (reason)."""

    permission_classes = [IsAuthenticated, _has("distribution.review_withdrawal")]
    action_name = ""

    @extend_schema(
        tags=[STAFF_TAG],
        summary=_("审核或打款"),
        request=WithdrawalReasonInputSerializer,
        responses={200: StaffWithdrawalSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        withdrawal = get_object_or_404(Withdrawal, pk=pk)
        actor = request.user
        if self.action_name == "approve":
            withdrawal = withdrawal_approve(withdrawal=withdrawal, actor=actor)
        elif self.action_name == "mark-paid":
            data = PayoutInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            withdrawal = withdrawal_mark_paid(
                withdrawal=withdrawal, actor=actor, **data.validated_data
            )
        else:
            data = WithdrawalReasonInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            service = withdrawal_reject if self.action_name == "reject" else withdrawal_mark_failed
            withdrawal = service(withdrawal=withdrawal, actor=actor, **data.validated_data)
        return Response(StaffWithdrawalSerializer(withdrawal).data)


class StaffProductSalesApi(APIView):
    permission_classes = [IsAuthenticated, _has("distribution.view_commissionrecord")]

    @extend_schema(
        tags=[STAFF_TAG],
        summary=_("推广员带来的商品销售（?export=csv 导出）"),
        parameters=[OpenApiParameter("export", str, enum=["csv"], required=False)],
        responses={200: ProductSalesSerializer(many=True), **error_responses(403)},
    )
    def get(self, request: Request):
        rows = list(promoter_sales_by_product()[:1000])
        if request.query_params.get("export") == "csv":
            header = [
                _("商品ID"),
                _("商品"),
                _("店铺"),
                _("订单数"),
                _("件数"),
                _("实付"),
                _("佣金"),
            ]
            return csv_response(
                "promoter-product-sales.csv",
                header,
                (
                    [
                        r["line__product_id"],
                        r["line__title"],
                        r["store__name"],
                        r["orders"],
                        r["quantity"] or 0,
                        f"{r['paid'] or 0:.2f}",
                        f"{r['commission'] or 0:.2f}",
                    ]
                    for r in rows
                ),
            )
        return Response(ProductSalesSerializer(rows, many=True).data)
