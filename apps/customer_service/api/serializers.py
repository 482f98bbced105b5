from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.customer_service.models import Case, CaseEntry, Priority


class CaseSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    store_name = serializers.CharField(source="store.name", default="", read_only=True)

    class Meta:
        model = Case
        fields = [
            "number",
            "status",
            "status_label",
            "channel",
            "category",
            "priority",
            "subject",
            "store_name",
            "first_response_due",
            "resolution_due",
            "created_at",
        ]
        read_only_fields = fields


class CaseEntrySerializer(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = CaseEntry
        fields = ["kind", "body", "is_public", "author_name", "created_at"]
        read_only_fields = fields

    def get_author_name(self, entry: CaseEntry) -> str:
        return {
            CaseEntry.Kind.CUSTOMER: str(_("客户")),
            CaseEntry.Kind.PARTNER: str(_("商家")),
        }.get(entry.kind, str(_("客服")))


class CaseDetailSerializer(CaseSerializer):
    entries = CaseEntrySerializer(many=True, read_only=True, source="visible_entries")

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "description",
            "occurred_at",
            "place",
            "root_cause",
            "resolution",
            "compensation",
            "resolved_at",
            "entries",
        ]
        read_only_fields = fields


class StaffCaseSerializer(CaseSerializer):
    owner_id = serializers.IntegerField(read_only=True)
    responsible_id = serializers.IntegerField(read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "contact_name",
            "contact_phone",
            "owner_id",
            "responsible_id",
            "escalation_level",
        ]
        read_only_fields = fields


class CaseCreateInputSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Case.Category.choices)
    subject = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=2000)
    order = serializers.CharField(max_length=32, required=False, allow_blank=True)
    order_line = serializers.IntegerField(required=False)
    aftersale = serializers.CharField(max_length=32, required=False, allow_blank=True)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    place = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=40, required=False, allow_blank=True)


class CaseBodyInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=2000)


class CaseReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class CaseAcknowledgeInputSerializer(serializers.Serializer):
    apology = serializers.CharField(max_length=1000)
    occurred_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=200)
    people = serializers.CharField(max_length=200)
    contact_name = serializers.CharField(max_length=40)
    contact_phone = serializers.CharField(max_length=20)


class CaseAssignInputSerializer(serializers.Serializer):
    responsible = serializers.IntegerField(help_text=_("责任人的用户 id"))
    owner = serializers.IntegerField(required=False, help_text=_("处理客服的用户 id"))
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


class CasePendInputSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(
        choices=[Case.Status.PENDING_CUSTOMER, Case.Status.PENDING_PARTNER]
    )
    reason = serializers.CharField(max_length=500)


class CaseResolveInputSerializer(serializers.Serializer):
    root_cause = serializers.CharField(max_length=1000)
    resolution = serializers.CharField(max_length=1000)
    compensation = serializers.CharField(max_length=300)


class CaseStaffReplyInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[CaseEntry.Kind.PUBLIC_REPLY, CaseEntry.Kind.INTERNAL_NOTE]
    )
    body = serializers.CharField(max_length=2000)


class CasePriorityInputSerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Priority.choices)
    reason = serializers.CharField(max_length=300)
