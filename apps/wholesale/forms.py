"""Forms of the wholesale pages and admin actions. They parse input; services decide."""

import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ApplicationError
from apps.wholesale.models import BuyerOrganisation

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"


def add_service_error(form: forms.BaseForm, error: ApplicationError) -> None:
    """Show a service's refusal on the form: on its fields where it names them."""
    placed = False
    for field, messages in error.fields.items():
        if field in form.fields:
            for message in messages:
                form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


class BuyerApplicationForm(forms.Form):
    name = forms.CharField(label=_("单位名称"), max_length=80)
    kind = forms.ChoiceField(
        label=_("单位类型"), choices=[("", _("请选择")), *BuyerOrganisation.Kind.choices]
    )
    licence_number = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=30,  # people paste it with spaces; the service strips them
        help_text=_("营业执照上的 18 位代码"),
    )
    licence_image = forms.FileField(
        label=_("营业执照照片"),
        required=False,
        help_text=_("JPEG/PNG/WebP/GIF，不超过 5 MB；上传后审核更快"),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=30)
    contact_phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        help_text=_("手机号或带区号的固定电话"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    address = forms.CharField(
        label=_("收货/经营地址"), max_length=200, required=False, widget=forms.TextInput
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("驳回原因"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("申请人会在站内消息和批发采购中心看到这段话。"),
    )


class CreditLimitForm(forms.Form):
    credit_limit = forms.DecimalField(
        label=_("授信额度（元）"),
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        help_text=_("0 表示不允许账期支付；低于当前应付时，还清前不能再赊购。"),
    )
    reason = forms.CharField(
        label=_("原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 2, "cols": 60})
    )


class RepaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("还款金额（元）"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    reference = forms.CharField(
        label=_("付款凭证号"), max_length=40, required=False, help_text=_("银行流水号等")
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)
    # Made once when the form is shown: submitting the same page twice records one repayment.
    token = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4().hex)
