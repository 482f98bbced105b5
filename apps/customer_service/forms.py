"""Forms of the back office (admin actions) and the storefront complaint pages.

They only parse input; every rule is checked again by the service they feed.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from apps.accounts.phones import phone_normalize
from apps.aftersales.forms import MultiplePhotoField, ServiceErrorsMixin
from apps.customer_service.models import CannedReply, Case, CaseEntry, Priority
from apps.customer_service.selectors import service_staff_users

User = get_user_model()
TEXT = {"rows": 3, "cols": 60}


class _ListedChoices(forms.models.ModelChoiceIterator):
    """Choices read with one plain query. Django's own iterator uses `.iterator()`, which on
    PostgreSQL opens a server-side cursor (DECLARE, FETCH, CLOSE: three round trips) for
    what are a few dozen rows here; the back office's case page renders several such fields."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class _ListedChoiceField(forms.ModelChoiceField):
    iterator = _ListedChoices


class _StaffChoice(_ListedChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name or obj.email or obj.phone or str(obj.pk)


class AcknowledgeForm(forms.Form):
    apology = forms.CharField(
        label=_("致歉与受理回复"),
        widget=forms.Textarea(attrs=TEXT),
        initial=_("非常抱歉给您带来不便，您的投诉我们已受理，会尽快核实处理。"),
    )
    occurred_at = forms.DateTimeField(label=_("发生时间"), help_text=_("如 2026-12-01 14:30"))
    place = forms.CharField(label=_("发生地点"), max_length=200)
    people = forms.CharField(label=_("涉及人员"), max_length=200)
    contact_name = forms.CharField(label=_("联系人"), max_length=40)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20)


class AssignForm(forms.Form):
    responsible = _StaffChoice(label=_("责任人"), queryset=User.objects.none())
    owner = _StaffChoice(label=_("处理客服"), queryset=User.objects.none(), required=False)
    reason = forms.CharField(label=_("说明"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        staff = service_staff_users()
        self.fields["responsible"].queryset = staff
        self.fields["owner"].queryset = staff


class PendForm(forms.Form):
    to_status = forms.ChoiceField(
        label=_("等待"),
        choices=[
            (Case.Status.PENDING_CUSTOMER, Case.Status.PENDING_CUSTOMER.label),
            (Case.Status.PENDING_PARTNER, Case.Status.PENDING_PARTNER.label),
        ],
    )
    reason = forms.CharField(label=_("需要对方做什么"), widget=forms.Textarea(attrs=TEXT))


class ResolveForm(forms.Form):
    root_cause = forms.CharField(label=_("原因分析"), widget=forms.Textarea(attrs=TEXT))
    resolution = forms.CharField(label=_("处理结果"), widget=forms.Textarea(attrs=TEXT))
    compensation = forms.CharField(
        label=_("补偿"), max_length=300, help_text=_("没有补偿请填“无”。退款请走售后单。")
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs=TEXT))


class MergeForm(forms.Form):
    into = forms.CharField(label=_("合并到工单号"), max_length=32)
    reason = forms.CharField(label=_("说明"), max_length=300, required=False)


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("优先级"), choices=Priority.choices)
    reason = forms.CharField(label=_("原因"), max_length=300)


class StaffReplyForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=[
            (CaseEntry.Kind.PUBLIC_REPLY, CaseEntry.Kind.PUBLIC_REPLY.label),
            (CaseEntry.Kind.INTERNAL_NOTE, CaseEntry.Kind.INTERNAL_NOTE.label),
        ],
    )
    canned = _ListedChoiceField(
        label=_("快捷回复"),
        queryset=CannedReply.objects.filter(is_active=True),
        required=False,
        help_text=_("选择后其内容接在下方文字之后，{customer} {case} {agent} 会自动填入。"),
    )
    body = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs=TEXT), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("body") and not data.get("canned"):
            raise forms.ValidationError(_("请填写内容或选择快捷回复。"))
        return data


class PartnerReplyForm(forms.Form):
    body = forms.CharField(label=_("商家回复"), widget=forms.Textarea(attrs=TEXT))


class CaseRegisterForm(forms.Form):
    """An agent registers a phone call or a walk-in on the customer's behalf."""

    channel = forms.ChoiceField(
        label=_("渠道"),
        choices=[
            (Case.Channel.PHONE, Case.Channel.PHONE.label),
            (Case.Channel.WALK_IN, Case.Channel.WALK_IN.label),
        ],
    )
    category = forms.ChoiceField(label=_("类别"), choices=Case.Category.choices)
    priority = forms.ChoiceField(label=_("优先级"), choices=Priority.choices, initial="p3")
    subject = forms.CharField(label=_("标题"), max_length=100)
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs=TEXT))
    contact_name = forms.CharField(label=_("联系人"), max_length=40)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20)
    occurred_at = forms.DateTimeField(label=_("发生时间"), required=False)
    place = forms.CharField(label=_("发生地点"), max_length=200, required=False)
    people = forms.CharField(label=_("涉及人员"), max_length=200, required=False)
    order_number = forms.CharField(label=_("订单号"), max_length=32, required=False)
    lot_number = forms.CharField(label=_("批次号"), max_length=40, required=False)

    def __init__(self, *args, for_merchant: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if for_merchant:
            # A merchant's case is about its own store; the channel is "商家提交".
            del self.fields["channel"]
            self.fields["priority"].initial = "p3"


# --- storefront ---------------------------------------------------------------------------

SHOPPER_CATEGORIES = Case.Category.choices


class ComplaintForm(ServiceErrorsMixin, forms.Form):
    category = forms.ChoiceField(label=_("问题类别"), choices=SHOPPER_CATEGORIES)
    subject = forms.CharField(label=_("标题"), max_length=100)
    description = forms.CharField(
        label=_("问题描述"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("请写明发生的时间、地点、经过，以及您的诉求。"),
    )
    occurred_at = forms.DateTimeField(
        label=_("发生时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    place = forms.CharField(label=_("发生地点"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=40, required=False)
    photos = MultiplePhotoField(label=_("图片（最多 6 张）"))


class AnonymousComplaintForm(ComplaintForm):
    contact_phone = forms.CharField(label=_("手机号"), max_length=20)
    code = forms.CharField(label=_("短信验证码"), max_length=6)

    def clean_contact_phone(self) -> str:
        return phone_normalize(self.cleaned_data["contact_phone"])


class PhoneCodeForm(ServiceErrorsMixin, forms.Form):
    contact_phone = forms.CharField(label=_("手机号"), max_length=20)

    def clean_contact_phone(self) -> str:
        return phone_normalize(self.cleaned_data["contact_phone"])


class CustomerAddForm(ServiceErrorsMixin, forms.Form):
    body = forms.CharField(
        label=_("补充说明"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = MultiplePhotoField(label=_("图片"))


class ReopenForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("哪里不满意"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class EvaluationAnswerForm(forms.Form):
    """The evaluation form of a callback: a 1–5 score and one answer per question."""

    score = forms.TypedChoiceField(
        label=_("满意度评分"),
        choices=[(str(n), str(n)) for n in range(5, 0, -1)],
        coerce=int,
    )
    note = forms.CharField(label=_("回访记录"), widget=forms.Textarea(attrs=TEXT), required=False)

    def __init__(self, *args, questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for index, question in enumerate(self.questions):
            self.fields[f"q{index}"] = forms.CharField(label=question, max_length=500)

    def answers(self) -> dict[str, str]:
        return {q: self.cleaned_data[f"q{i}"] for i, q in enumerate(self.questions)}


# --- the staff back office (/service/) ----------------------------------------------------


class StartForm(forms.Form):
    reason = forms.CharField(label=_("说明"), max_length=300, required=False)


class RefundCompensationForm(forms.Form):
    amount = forms.DecimalField(label=_("退款金额（元）"), min_value=0.01, decimal_places=2)
    quantity = forms.IntegerField(label=_("涉及件数"), min_value=1, initial=1)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class _CouponChoice(_ListedChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name}（{obj.store.name if obj.store_id else _('平台券')}）"


class CouponCompensationForm(forms.Form):
    coupon = _CouponChoice(label=_("优惠券"), queryset=None)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, coupons=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coupon"].queryset = coupons.select_related("store")


class TierOverrideForm(forms.Form):
    tier = forms.ChoiceField(
        label=_("人工等级"),
        choices=[("", _("取消人工调整")), ("A", "A"), ("B", "B"), ("C", "C")],
        required=False,
    )
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)
