from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.phones import phone_normalize


class CnMobileField(forms.CharField):
    """A mainland-China mobile number, cleaned to E.164.

    Used by allauth (through AccountAdapter.phone_form_field) for sign-up, log-in by code and
    phone change, so every form accepts what people actually type: `138 0013 8000`.
    """

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("手机号"))
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "type": "tel",
                    "inputmode": "tel",
                    "autocomplete": "tel",
                    "placeholder": _("11 位手机号"),
                }
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        return phone_normalize(value)
