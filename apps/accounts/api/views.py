"""Accounts API: a DRF token for third-party apps, and the signed-in user's own record."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import services
from apps.accounts.api.serializers import (
    MeSerializer,
    MeUpdateInputSerializer,
    TokenObtainInputSerializer,
    TokenSerializer,
)
from apps.accounts.authentication import credentials_authenticate
from apps.core.api import error_responses, token_first_authentication

TAG_ACCOUNTS = "账户"


class TokenObtainApi(APIView):
    """Exchange an e-mail address or mobile number and password for an API token.

    Rate-limited like the log-in page; an unknown account and a wrong password get the same
    answer.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_scope = "auth_token"

    @extend_schema(
        tags=[TAG_ACCOUNTS],
        request=TokenObtainInputSerializer,
        responses={
            200: TokenSerializer,
            **error_responses(
                400, 403, 429, texts={403: _("账号已停用"), 429: _("密码尝试次数过多，稍后再试")}
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = TokenObtainInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = credentials_authenticate(
            request=request._request,
            login=data.validated_data["login"],
            password=data.validated_data["password"],
        )
        token = services.user_api_token_get_or_create(user=user)
        return Response(TokenSerializer({"token": token.key}).data)


class MeApi(APIView):
    # Token first, so an anonymous call gets 401 with `WWW-Authenticate: Token`.
    authentication_classes = token_first_authentication()
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=[TAG_ACCOUNTS], responses={200: MeSerializer})
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)

    @extend_schema(
        tags=[TAG_ACCOUNTS], request=MeUpdateInputSerializer, responses={200: MeSerializer}
    )
    def patch(self, request: Request) -> Response:
        data = MeUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, name=data.validated_data["name"])
        return Response(MeSerializer(user).data)
