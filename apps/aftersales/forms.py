"""Forms of the shopper pages and admin actions. They collect input; services decide."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.aftersales.models import AfterSale, Review
from apps.aftersales.selectors import LineAllowance
from apps.aftersales.services.photos import MAX_PHOTOS
from apps.core.errors import ApplicationError


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several files in one input; the service checks each one as an image."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            files = [single(item, initial) for item in data if item]
        else:
            files = [single(data, initial)] if data else []
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(_("最多上传 %(n)d 张图片。") % {"n": MAX_PHOTOS})
        return files


class ServiceErrorsMixin:
    """Show an ApplicationError from a service on the form: on its field, else on top."""

    def add_service_error(self, exc: ApplicationError) -> None:
        placed = False
        for name, messages in (exc.fields or {}).items():
            if name in self.fields:
                for message in messages if isinstance(messages, list) else [messages]:
                    self.add_error(name, str(message))
                placed = True
        if not placed:
            self.add_error(None, exc.message)


class AfterSaleApplyForm(ServiceErrorsMixin, forms.Form):
    type = forms.ChoiceField(
        label=_("售后类型"), choices=AfterSale.Type.choices, widget=forms.RadioSelect
    )
    reason = forms.ChoiceField(
        label=_("售后原因"), choices=[("", _("请选择")), *AfterSale.Reason.choices]
    )
    reason_text = forms.CharField(
        label=_("问题描述"),
        max_length=500,
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": _("请描述商品问题，便于商家尽快处理")}
        ),
    )
    amount = forms.DecimalField(
        label=_("退款金额（元）"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        help_text=_("不填则按所选商品实付金额退款。"),
    )
    photos = MultiplePhotoField(
        label=_("凭证图片"),
        help_text=_("最多 %(n)d 张，支持 JPEG、PNG、WebP。") % {"n": MAX_PHOTOS},
    )

    def __init__(
        self,
        *args,
        allowances: list[LineAllowance],
        selected_line: int | None,
        can_return: bool = True,
        **kw,
    ):
        super().__init__(*args, **kw)
        self.allowances = allowances
        if not can_return:
            # Nothing has been shipped, so nothing can be sent back: offer the one type that
            # can succeed, already chosen, rather than a choice the service would refuse.
            refund_only = AfterSale.Type.REFUND_ONLY
            self.fields["type"].choices = [(refund_only.value, refund_only.label)]
            self.fields["type"].initial = refund_only.value
        only_one = len(allowances) == 1
        for allowance in allowances:
            line = allowance.line
            claimable = allowance.claimable_quantity
            unavailable = claimable == 0 or allowance.is_open
            preset = (only_one or line.pk == selected_line) and not unavailable
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=f"{line.title} {line.spec}",
                min_value=0,
                max_value=max(claimable, 0),
                initial=claimable if preset else 0,
                required=False,
                disabled=unavailable,
            )

    def line_rows(self):
        """(allowance, bound quantity field) for the template."""
        return [(a, self[f"line_{a.line.pk}"]) for a in self.allowances]

    def clean(self):
        cleaned = super().clean()
        lines = {}
        for allowance in self.allowances:
            quantity = cleaned.get(f"line_{allowance.line.pk}") or 0
            if quantity > 0:
                lines[allowance.line.pk] = quantity
        if not lines and not self.errors:
            raise forms.ValidationError(_("请至少选择一件商品并填写数量。"))
        cleaned["lines"] = lines
        return cleaned


class ShipBackForm(ServiceErrorsMixin, forms.Form):
    carrier_name = forms.CharField(label=_("快递公司"), max_length=40)
    tracking_number = forms.CharField(label=_("运单号"), max_length=40)


class EscalateForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("申请平台介入的理由"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReviewForm(ServiceErrorsMixin, forms.Form):
    rating = forms.TypedChoiceField(
        label=_("评分"),
        coerce=int,
        choices=[(n, f"{n} ★") for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
        initial=5,
    )
    text = forms.CharField(
        label=_("评价内容"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("口感、新鲜度、包装怎么样？")}),
    )
    photos = MultiplePhotoField(label=_("晒图"))


# --- admin actions --------------------------------------------------------------------------


class ApproveForm(forms.Form):
    amount = forms.DecimalField(
        label=_("同意退款金额（元）"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        help_text=_("不填则按买家申请的金额。"),
    )
    note = forms.CharField(label=_("备注（买家可见）"), max_length=300, required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("拒绝原因（买家可见）"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


class ArbitrateForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("裁决"),
        choices=[("approve", _("支持买家：同意售后")), ("reject", _("支持商家：维持拒绝"))],
        widget=forms.RadioSelect,
    )
    amount = forms.DecimalField(
        label=_("同意退款金额（元）"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        help_text=_("仅在支持买家时使用；不填则按申请金额。"),
    )
    reason = forms.CharField(
        label=_("裁决说明（双方可见）"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("回复内容（公开显示，仅可回复一次）"),
        max_length=Review._meta.get_field("reply_text").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
