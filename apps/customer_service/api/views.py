"""Customer-service API. Shoppers reach their own cases, merchants the cases about their own
stores, customer-service staff every case (404 for anything else); each write is one service
call whose refusal comes back as {"code", "message", "fields"}."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.aftersales.selectors import aftersale_get_for_buyer
from apps.core.api import error_responses, token_first_authentication
from apps.core.errors import ApplicationError, NotFoundError
from apps.customer_service import selectors
from apps.customer_service.api.serializers import (
    CaseAcknowledgeInputSerializer,
    CaseAssignInputSerializer,
    CaseBodyInputSerializer,
    CaseCreateInputSerializer,
    CaseDetailSerializer,
    CasePendInputSerializer,
    CasePriorityInputSerializer,
    CaseReasonInputSerializer,
    CaseResolveInputSerializer,
    CaseSerializer,
    CaseStaffReplyInputSerializer,
    StaffCaseSerializer,
)
from apps.customer_service.errors import CaseErrorCode
from apps.customer_service.models import Case, CaseEntry
from apps.customer_service.services import (
    case_acknowledge,
    case_assign,
    case_confirm,
    case_open,
    case_pend,
    case_reject,
    case_reopen,
    case_reply,
    case_resolve,
    case_set_priority,
    case_start,
)
from apps.orders.selectors import order_get_for_buyer

TAG_SHOPPER = _("客服：我的投诉")
TAG_MERCHANT = _("商家：投诉工单")
TAG_STAFF = _("客服后台：工单")
ERROR_TEXTS = {400: _("输入有误：fields 给出各字段的错误"), 403: _("没有权限")}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return error_responses(*codes, texts=ERROR_TEXTS)


def _not_found() -> NotFoundError:
    return NotFoundError(_("工单不存在。"), code=CaseErrorCode.NOT_FOUND)


class SignedInApi(APIView):
    authentication_classes = token_first_authentication()
    permission_classes = [IsAuthenticated]

    def case_from(self, queryset: QuerySet[Case], number: str) -> Case:
        case = queryset.filter(number=number).first()
        if case is None:
            raise _not_found()
        return case

    def input(self, serializer_class, request: Request) -> dict:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


# --- shopper --------------------------------------------------------------------------------


class ShopperCaseApi(SignedInApi):
    def own(self, number: str) -> Case:
        return self.case_from(selectors.case_list_for_customer(user=self.request.user), number)

    def detail(self, case: Case, code=status.HTTP_200_OK) -> Response:
        case.visible_entries = list(selectors.case_entries_for_customer(case=case))
        return Response(CaseDetailSerializer(case).data, status=code)


@extend_schema(tags=[TAG_SHOPPER])
class CaseListCreateApi(ShopperCaseApi, ListAPIView):
    serializer_class = CaseSerializer

    def get_queryset(self) -> QuerySet[Case]:
        return selectors.case_list_for_customer(user=self.request.user)

    @extend_schema(summary=_("我的投诉"))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary=_("提交投诉（可关联自己的订单、订单商品或售后单）"),
        request=CaseCreateInputSerializer,
        responses={201: CaseDetailSerializer, **_errors(400, 401, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        data = self.input(CaseCreateInputSerializer, request)
        order = order_line = aftersale = None
        if data.get("order"):
            order = order_get_for_buyer(user=request.user, number=data["order"])
            if order is None:
                raise ApplicationError(
                    _("只能就自己的订单投诉。"),
                    code=CaseErrorCode.ORDER_NOT_YOURS,
                    fields={"order": [_("订单不存在。")]},
                    status_code=404,
                )
            if data.get("order_line"):
                order_line = order.lines.filter(pk=data["order_line"]).first()
                if order_line is None:
                    raise ApplicationError(
                        _("商品不属于该订单。"),
                        code=CaseErrorCode.ORDER_NOT_YOURS,
                        fields={"order_line": [_("商品不属于该订单。")]},
                    )
        if data.get("aftersale"):
            aftersale = aftersale_get_for_buyer(user=request.user, number=data["aftersale"])
            if aftersale is None:
                raise ApplicationError(
                    _("售后单不存在。"), code=CaseErrorCode.ORDER_NOT_YOURS, status_code=404
                )
        channel = (
            Case.Channel.AFTERSALE
            if aftersale
            else Case.Channel.IN_ORDER
            if order
            else Case.Channel.WEB
        )
        case = case_open(
            channel=channel,
            category=data["category"],
            subject=data["subject"],
            description=data["description"],
            occurred_at=data.get("occurred_at"),
            place=data.get("place", ""),
            contact_name=data.get("contact_name", ""),
            customer=request.user,
            opened_by=request.user,
            order=order,
            order_line=order_line,
            aftersale=aftersale,
        )
        return self.detail(case, status.HTTP_201_CREATED)


@extend_schema(tags=[TAG_SHOPPER])
class CaseDetailApi(ShopperCaseApi):
    @extend_schema(
        summary=_("投诉详情（公开回复、承诺时限）"),
        responses={200: CaseDetailSerializer, **_errors(401, 404)},
    )
    def get(self, request: Request, number: str) -> Response:
        return self.detail(self.own(number))


@extend_schema(tags=[TAG_SHOPPER])
class CaseReplyApi(ShopperCaseApi):
    @extend_schema(
        summary=_("补充信息"),
        request=CaseBodyInputSerializer,
        responses={200: CaseDetailSerializer, **_errors(400, 401, 404, 409)},
    )
    def post(self, request: Request, number: str) -> Response:
        case = self.own(number)
        data = self.input(CaseBodyInputSerializer, request)
        case_reply(case=case, actor=request.user, body=data["body"], kind=CaseEntry.Kind.CUSTOMER)
        return self.detail(self.own(number))


@extend_schema(tags=[TAG_SHOPPER])
class CaseConfirmApi(ShopperCaseApi):
    @extend_schema(
        summary=_("确认处理结果"),
        request=None,
        responses={200: CaseDetailSerializer, **_errors(401, 404, 409)},
    )
    def post(self, request: Request, number: str) -> Response:
        return self.detail(case_confirm(case=self.own(number), actor=request.user))


@extend_schema(tags=[TAG_SHOPPER])
class CaseReopenApi(ShopperCaseApi):
    @extend_schema(
        summary=_("对结果不满意，重新处理"),
        request=CaseReasonInputSerializer,
        responses={200: CaseDetailSerializer, **_errors(400, 401, 404, 409)},
    )
    def post(self, request: Request, number: str) -> Response:
        case = self.own(number)
        data = self.input(CaseReasonInputSerializer, request)
        return self.detail(case_reopen(case=case, actor=request.user, reason=data["reason"]))


# --- merchant -------------------------------------------------------------------------------


class IsPartner(BasePermission):
    message = _("只有店铺成员可以查看和回复本店的投诉。")

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm(selectors.PARTNER_PERMISSION)


class MerchantCaseApi(SignedInApi):
    permission_classes = [IsAuthenticated, IsPartner]


@extend_schema(tags=[TAG_MERCHANT], summary=_("本店铺的投诉工单"))
class MerchantCaseListApi(MerchantCaseApi, ListAPIView):
    serializer_class = CaseSerializer

    def get_queryset(self) -> QuerySet[Case]:
        return selectors.case_list_for_partner(user=self.request.user)


@extend_schema(tags=[TAG_MERCHANT])
class MerchantCaseReplyApi(MerchantCaseApi):
    @extend_schema(
        summary=_("商家回复（平台审核后客户可见）"),
        request=CaseBodyInputSerializer,
        responses={200: CaseDetailSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, number: str) -> Response:
        case = self.case_from(selectors.case_list_for_partner(user=request.user), number)
        data = self.input(CaseBodyInputSerializer, request)
        case_reply(case=case, actor=request.user, body=data["body"], kind=CaseEntry.Kind.PARTNER)
        case.visible_entries = list(
            selectors.case_entries_for_partner(case=case, user=request.user)
        )
        return Response(CaseDetailSerializer(case).data)


# --- staff ----------------------------------------------------------------------------------


class IsServiceStaff(BasePermission):
    message = _("只有客服人员可以处理工单。")

    def has_permission(self, request, view) -> bool:
        return selectors.user_is_service_staff(request.user)


class StaffCaseApi(SignedInApi):
    permission_classes = [IsAuthenticated, IsServiceStaff]

    def staff_case(self, number: str) -> Case:
        return self.case_from(selectors.case_list_for_staff(user=self.request.user), number)


@extend_schema(
    tags=[TAG_STAFF],
    summary=_("工单队列"),
    parameters=[
        OpenApiParameter(
            "queue", OpenApiTypes.STR, enum=list(selectors.QUEUES), description=_("队列")
        )
    ],
)
class StaffCaseListApi(StaffCaseApi, ListAPIView):
    serializer_class = StaffCaseSerializer

    def get_queryset(self) -> QuerySet[Case]:
        queue = self.request.query_params.get("queue", "")
        if queue in selectors.QUEUES:
            return selectors.case_queue(user=self.request.user, queue=queue).select_related("store")
        return selectors.case_list_for_staff(user=self.request.user)


def _user(pk: int | None, field: str):
    if pk is None:
        return None
    user = selectors.service_staff_users().filter(pk=pk).first()
    if user is None:
        raise ApplicationError(
            _("请选择客服人员。"),
            code=CaseErrorCode.RESPONSIBLE_REQUIRED,
            fields={field: [_("不是客服人员。")]},
        )
    return user


def _staff_move(name: str, summary, serializer, call):
    """One endpoint per staff move: parse the input, call the service, return the case."""

    def post(self, request: Request, number: str) -> Response:
        case = self.staff_case(number)
        data = self.input(serializer, request) if serializer else {}
        case = call(case, request.user, data)
        return Response(StaffCaseSerializer(case).data)

    post = extend_schema(
        summary=summary,
        request=serializer,
        responses={200: StaffCaseSerializer, **_errors(400, 401, 403, 404, 409)},
    )(post)
    return extend_schema(tags=[TAG_STAFF])(type(name, (StaffCaseApi,), {"post": post}))


StaffAcknowledgeApi = _staff_move(
    "StaffAcknowledgeApi",
    _("受理并致歉（记录时间、地点、人物、事件、联系方式）"),
    CaseAcknowledgeInputSerializer,
    lambda case, actor, data: case_acknowledge(case=case, actor=actor, **data),
)
StaffAssignApi = _staff_move(
    "StaffAssignApi",
    _("指派责任人/改派"),
    CaseAssignInputSerializer,
    lambda case, actor, data: case_assign(
        case=case,
        actor=actor,
        responsible=_user(data["responsible"], "responsible"),
        owner=_user(data.get("owner"), "owner"),
        reason=data.get("reason", ""),
    ),
)
StaffStartApi = _staff_move(
    "StaffStartApi",
    _("开始/恢复处理"),
    None,
    lambda case, actor, data: case_start(case=case, actor=actor),
)
StaffPendApi = _staff_move(
    "StaffPendApi",
    _("等待客户/商家（暂停计时）"),
    CasePendInputSerializer,
    lambda case, actor, data: case_pend(case=case, actor=actor, **data),
)
StaffResolveApi = _staff_move(
    "StaffResolveApi",
    _("解决（原因、结果、补偿）"),
    CaseResolveInputSerializer,
    lambda case, actor, data: case_resolve(case=case, actor=actor, **data),
)
StaffRejectApi = _staff_move(
    "StaffRejectApi",
    _("不予受理并关闭"),
    CaseReasonInputSerializer,
    lambda case, actor, data: case_reject(case=case, actor=actor, **data),
)
StaffPriorityApi = _staff_move(
    "StaffPriorityApi",
    _("调整优先级"),
    CasePriorityInputSerializer,
    lambda case, actor, data: case_set_priority(case=case, actor=actor, **data),
)


def _staff_reply(case, actor, data):
    case_reply(case=case, actor=actor, body=data["body"], kind=data["kind"])
    case.refresh_from_db()
    return case


StaffReplyApi = _staff_move(
    "StaffReplyApi", _("公开回复/内部备注"), CaseStaffReplyInputSerializer, _staff_reply
)
