from django import forms
from django.utils.translation import gettext_lazy as _

from apps.distribution.models import Withdrawal


class ApplyForm(forms.Form):
    real_name = forms.CharField(label=_("姓名"), max_length=30, required=False)
    note = forms.CharField(
        label=_("推广渠道说明"),
        max_length=200,
        required=False,
        help_text=_("例如：村口小卖部、导游、酒店前台、微信群"),
    )


class BindForm(forms.Form):
    code = forms.CharField(label=_("推广码"), max_length=12)


class WithdrawalForm(forms.Form):
    amount = forms.DecimalField(label=_("提现金额"), max_digits=14, decimal_places=2, min_value=0)
    method = forms.ChoiceField(label=_("提现方式"), choices=Withdrawal.Method.choices)
    account_name = forms.CharField(label=_("收款人"), max_length=30, required=False)
    account_number = forms.CharField(
        label=_("收款账号"),
        max_length=64,
        required=False,
        help_text=_("银行卡号、支付宝或微信账号"),
    )
