"""Forms of the settlement admin. They parse input; services decide."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ApplicationError
from apps.stores.models import Store


def add_service_error(form: forms.BaseForm, error: ApplicationError) -> None:
    """Show a service's refusal on the form: on its fields where it names them."""
    placed = False
    for name, messages in error.fields.items():
        if name in form.fields:
            for message in messages if isinstance(messages, list | tuple) else [messages]:
                form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


class AdjustmentForm(forms.Form):
    store = forms.ModelChoiceField(label=_("店铺"), queryset=Store.objects.none())
    amount = forms.DecimalField(
        label=_("金额（元）"),
        max_digits=14,
        decimal_places=2,
        help_text=_("正数：平台应付给店铺增加；负数：从店铺应结金额中扣除。"),
    )
    reason = forms.CharField(
        label=_("原因"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("必填，商家会在结算流水中看到。"),
    )
    # One token per rendered form: a double submit books the adjustment once.
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, stores, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4().hex)


class PayoutForm(forms.Form):
    payment_reference = forms.CharField(
        label=_("打款流水号"),
        max_length=64,
        help_text=_("银行或支付渠道的转账流水号，商家可凭此对账。"),
    )
