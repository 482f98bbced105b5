from django import forms
from django.utils.translation import gettext_lazy as _


class RedeemCodeForm(forms.Form):
    code = forms.CharField(label=_("兑换码"), max_length=32, strip=True)
