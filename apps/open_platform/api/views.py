"""Webhook subscriptions over the API: an app manages its own with a token carrying
`webhooks:manage`; a merchant (its store's apps) or staff (any app) with their own login.

Objects are fetched through selectors that take the caller, so another app's subscription or
delivery is simply not found (404).
"""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import error_responses, token_first_authentication
from apps.open_platform.api.serializers import (
    DeliverySerializer,
    ResumedSerializer,
    SubscriptionCreatedSerializer,
    SubscriptionInputSerializer,
    SubscriptionSerializer,
)
from apps.open_platform.models import App, AppToken, WebhookDelivery, WebhookSubscription
from apps.open_platform.scopes import Scope
from apps.open_platform.selectors import (
    app_list_for_user,
    delivery_list_for_subscription,
    subscription_list_for_app,
    subscription_list_for_user,
)
from apps.open_platform.services.webhooks import (
    subscription_create,
    subscription_delete,
    subscription_resume,
    webhook_delivery_redeliver,
)

TAG = _("开放平台：事件订阅（Webhook）")


class WebhookApi(APIView):
    authentication_classes = token_first_authentication()
    permission_classes = [IsAuthenticated]
    required_scopes = Scope.WEBHOOKS_MANAGE.value

    @property
    def app_token(self) -> AppToken | None:
        return self.request.auth if isinstance(self.request.auth, AppToken) else None

    def subscriptions(self) -> QuerySet[WebhookSubscription]:
        if self.app_token is not None:
            return subscription_list_for_app(app=self.app_token.app)
        return subscription_list_for_user(user=self.request.user)

    def subscription(self, pk: int) -> WebhookSubscription:
        subscription = self.subscriptions().filter(pk=pk).first()
        if subscription is None:
            raise NotFound(_("订阅不存在。"))
        return subscription

    def actor(self):
        """None when an app acts on its own subscriptions (its token was checked)."""
        return None if self.app_token is not None else self.request.user


@extend_schema(tags=[TAG])
class SubscriptionListCreateApi(WebhookApi, GenericAPIView):
    serializer_class = SubscriptionSerializer

    def get_queryset(self):
        return self.subscriptions().order_by("pk")

    @extend_schema(summary=_("事件订阅列表"), responses={200: SubscriptionSerializer(many=True)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SubscriptionSerializer(page, many=True).data)

    @extend_schema(
        summary=_("新建事件订阅"),
        description=_(
            "接收地址须为 http(s)，且不能指向内网、本机或保留地址。响应中的 secret 只返回这一次："
            "每次投递以它对“时间戳.请求体”做 HMAC-SHA256，放在 X-Tianjian-Signature。"
        ),
        request=SubscriptionInputSerializer,
        responses={201: SubscriptionCreatedSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        data = SubscriptionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        subscription = subscription_create(
            actor=self.actor(),
            app=self._app(values.get("app")),
            url=values["url"],
            events=values["events"],
        )
        return Response(
            SubscriptionCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED
        )

    def _app(self, app_id: int | None) -> App:
        if self.app_token is not None:
            if app_id not in (None, self.app_token.app_id):
                raise NotFound(_("应用不存在。"))
            return self.app_token.app
        if app_id is None:
            raise ValidationError({"app": [_("请指定应用。")]})
        app = app_list_for_user(user=self.request.user).filter(pk=app_id).first()
        if app is None:
            raise NotFound(_("应用不存在。"))
        return app


@extend_schema(tags=[TAG])
class SubscriptionDetailApi(WebhookApi):
    @extend_schema(summary=_("事件订阅详情"), responses={200: SubscriptionSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(SubscriptionSerializer(self.subscription(pk)).data)

    @extend_schema(summary=_("取消事件订阅"), responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        subscription_delete(actor=self.actor(), subscription=self.subscription(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=[TAG])
class SubscriptionResumeApi(WebhookApi):
    @extend_schema(
        summary=_("恢复已暂停的订阅"),
        description=_(
            "清零连续失败次数，并补发暂停期间暂缓的事件。订阅未暂停且没有暂缓的投递时返回 409。"
        ),
        request=None,
        responses={200: ResumedSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        requeued = subscription_resume(actor=self.actor(), subscription=self.subscription(pk))
        return Response({"requeued": requeued})


@extend_schema(tags=[TAG])
class DeliveryListApi(WebhookApi, GenericAPIView):
    serializer_class = DeliverySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        return delivery_list_for_subscription(subscription=self.subscription(self.kwargs["pk"]))

    @extend_schema(summary=_("订阅的投递记录"), responses={200: DeliverySerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)


@extend_schema(tags=[TAG])
class DeliveryRedeliverApi(WebhookApi):
    @extend_schema(
        summary=_("手动重发一次投递"),
        description=_("同一事件编号（X-Tianjian-Event-Id）重新投递，重新计算退避。"),
        request=None,
        responses={202: DeliverySerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        delivery = (
            WebhookDelivery.objects.select_related("event")
            .filter(pk=pk, subscription__in=self.subscriptions())
            .first()
        )
        if delivery is None:
            raise NotFound(_("投递记录不存在。"))
        delivery = webhook_delivery_redeliver(actor=self.actor(), delivery=delivery)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
