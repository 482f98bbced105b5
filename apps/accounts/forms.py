"""Forms: allauth's, with Chinese labels and the rules of our one-user-model (e-mail or phone)."""

from allauth.account import forms as allauth_forms
from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.errors import AccountErrorCode
from apps.accounts.phones import phone_normalize_or_none
from apps.accounts.services import NAME_MAX_LENGTH

EMAIL_OR_PHONE_REQUIRED = _("请填写手机号或电子邮箱（至少一项）。")


def _set_placeholder(field: forms.Field, text) -> None:
    field.widget.attrs["placeholder"] = text


class LoginForm(allauth_forms.LoginForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = _("手机号或电子邮箱")
        _set_placeholder(login, _("手机号或电子邮箱"))
        login.widget.attrs["autocomplete"] = "username"
        self.fields["password"].label = _("密码")
        _set_placeholder(self.fields["password"], _("密码"))
        if "remember" in self.fields:
            self.fields["remember"].label = _("记住我")

    def user_credentials(self) -> dict:
        # allauth passes the phone on as typed; hand the backends and the rate limiter the
        # E.164 form so `138 0013 8000` and `+8613800138000` are the same account and key.
        credentials = super().user_credentials()
        if phone := credentials.get("phone"):
            credentials["phone"] = phone_normalize_or_none(phone) or phone
        return credentials


class SignupForm(allauth_forms.SignupForm):
    """Sign up with a mobile number, an e-mail address or both, plus a password."""

    field_order = ["phone", "email", "password1"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "phone" in self.fields:
            self.fields["phone"].label = _("手机号")
            self.fields["phone"].help_text = _("注册后会收到短信验证码。")
        if "email" in self.fields:
            self.fields["email"].label = _("电子邮箱")
            _set_placeholder(self.fields["email"], _("name@example.com"))
        if "password1" in self.fields:
            self.fields["password1"].label = _("设置密码")
            # Django's validator list is long on a phone screen; the rules in one line.
            self.fields["password1"].help_text = _(
                "至少 8 位，不能全是数字，不要用常见密码或与邮箱相似。"
            )
            _set_placeholder(self.fields["password1"], _("至少 8 位"))

    def clean(self) -> dict:
        cleaned = super().clean()
        typed_something = self.has_error("phone") or self.has_error("email")
        if not typed_something and not cleaned.get("phone") and not cleaned.get("email"):
            raise forms.ValidationError(
                EMAIL_OR_PHONE_REQUIRED, code=AccountErrorCode.EMAIL_OR_PHONE_REQUIRED
            )
        return cleaned


class RequestLoginCodeForm(allauth_forms.RequestLoginCodeForm):
    """Ask for a log-in code by SMS (or by e-mail)."""

    field_order = ["phone", "email"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "phone" in self.fields:
            self.fields["phone"].label = _("手机号")
        if "email" in self.fields:
            self.fields["email"].label = _("或电子邮箱")
            _set_placeholder(self.fields["email"], _("name@example.com"))
        self.order_fields(self.field_order)

    def clean(self) -> dict:
        cleaned = super().clean()
        # allauth accepts both fields empty and then fails with a server error.
        typed_something = self.has_error("phone") or self.has_error("email")
        if not typed_something and not cleaned.get("phone") and not cleaned.get("email"):
            raise forms.ValidationError(
                _("请输入手机号。"), code=AccountErrorCode.EMAIL_OR_PHONE_REQUIRED
            )
        return cleaned


class ProfileForm(forms.Form):
    name = forms.CharField(
        label=_("姓名 / 称呼"),
        max_length=NAME_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class ChangePhoneForm(allauth_forms.ChangePhoneForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone"].label = _("新手机号")


def _setup_code_field(form: forms.Form) -> None:
    code = form.fields["code"]
    code.label = _("验证码")
    code.widget.attrs.update(
        {"placeholder": _("6 位数字"), "inputmode": "numeric", "autocomplete": "one-time-code"}
    )


class ConfirmLoginCodeForm(allauth_forms.ConfirmLoginCodeForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _setup_code_field(self)


class VerifyPhoneForm(allauth_forms.VerifyPhoneForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _setup_code_field(self)
