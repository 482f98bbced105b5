from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.accounts.models import User


class TokenObtainInputSerializer(serializers.Serializer):
    login = serializers.CharField(label=_("手机号或电子邮箱"), max_length=254)
    password = serializers.CharField(
        label=_("密码"), max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class MeSerializer(serializers.ModelSerializer):
    groups = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = User
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "phone_verified",
            "is_staff",
            "groups",
            "date_joined",
        ]
        read_only_fields = fields


class MeUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(label=_("姓名"), max_length=50, allow_blank=True)
