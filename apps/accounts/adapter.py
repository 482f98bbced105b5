"""django-allauth glue: phone numbers live on User.phone, texts go through apps.accounts.sms."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.accounts import login_limits, selectors, services
from apps.accounts.fields import CnMobileField
from apps.accounts.models import User
from apps.accounts.phones import phone_normalize_or_none
from apps.accounts.sms import sms_send
from apps.core.http import client_ip

# One message for "no such account" and "wrong password", whichever identifier was typed, so a
# failed log-in tells nobody whether an e-mail address or a mobile number is registered.
INVALID_CREDENTIALS_MESSAGE = _("账号或密码不正确。")

SMS_VERIFICATION_CODE = _("【田间】您的验证码是 %(code)s，几分钟内有效。请勿把验证码告诉任何人。")
SMS_UNKNOWN_ACCOUNT = _(
    "【田间】有人尝试用本手机号登录田间，但该号码尚未注册。如非本人操作，请忽略本短信。"
)
SMS_ACCOUNT_ALREADY_EXISTS = _(
    "【田间】有人尝试用本手机号注册田间，但该号码已注册，可直接用验证码登录。"
    "如非本人操作，请忽略本短信。"
)


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": INVALID_CREDENTIALS_MESSAGE,
        "phone_password_mismatch": INVALID_CREDENTIALS_MESSAGE,
        "username_password_mismatch": INVALID_CREDENTIALS_MESSAGE,
        "invalid_login": INVALID_CREDENTIALS_MESSAGE,
        "too_many_login_attempts": _("密码尝试次数过多，请稍后再试，或改用短信验证码登录。"),
        "incorrect_code": _("验证码不正确。"),
        "incorrect_password": _("密码不正确。"),
        "phone_taken": _("该手机号已被其他账号使用。"),
        "email_taken": _("该电子邮箱已被其他账号使用。"),
        "unknown_phone": _("该手机号尚未注册。"),
        "unknown_email": _("该电子邮箱尚未注册。"),
        "select_only_one": _("手机号和电子邮箱只需填写一项。"),
        "same_as_current": _("新号码与当前号码相同。"),
        "rate_limited": _("操作太频繁，请稍后再试。"),
        "account_inactive": _("该账号已停用。"),
    }

    def get_client_ip(self, request: HttpRequest) -> str:
        """allauth's rate limits count per the same client address as the API's throttles
        (X-Forwarded-For believed only from settings.TRUSTED_PROXIES)."""
        return client_ip(request) or super().get_client_ip(request)

    # --- password log-in limits (apps.accounts.login_limits) --------------------------
    @staticmethod
    def _login_of(credentials: dict[str, Any]) -> str:
        login = credentials.get("email") or credentials.get("phone") or ""
        login = login or credentials.get("username") or ""
        return str(login).strip().lower()

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        verdict = login_limits.login_attempt_check(
            request=request, login=self._login_of(credentials)
        )
        if not verdict.allowed:
            request.login_retry_after = verdict.retry_after
            raise self.validation_error("too_many_login_attempts")

    def authenticate(self, request: HttpRequest, **credentials: Any) -> User | None:
        user = super().authenticate(request, **credentials)
        if user is not None:
            login_limits.login_success_record(request=request, login=self._login_of(credentials))
        return user

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        login = self._login_of(credentials)
        login_limits.login_failure_record(
            request=request, login=login, user=selectors.user_for_login(login)
        )

    # --- sign-up ---------------------------------------------------------------------
    def save_user(self, request: HttpRequest, user: User, form, commit: bool = True) -> User:
        """Create the account through the accounts service.

        allauth saves the user first and attaches the phone afterwards; our table requires
        an e-mail or a phone on every row, so both must be there on the first insert.
        """
        data = form.cleaned_data
        phone = data.get("phone") if getattr(form, "_has_phone_field", False) else None
        return services.user_create(
            email=data.get("email") or None,
            phone=phone or None,
            password=data.get("password1") or None,
        )

    # --- phone numbers ---------------------------------------------------------------
    def phone_form_field(self, **kwargs: Any) -> CnMobileField:
        kwargs.pop("label", None)
        return CnMobileField(**kwargs)

    def set_phone(self, user: User, phone: str, verified: bool) -> None:
        if user.pk is None:
            # Only reached from allauth's own save_user, which ours replaces; kept so a
            # half-built user never hits the database without its phone.
            user.phone, user.phone_verified = phone, verified
            return
        services.user_set_phone(user=user, phone=phone, verified=verified)

    def get_phone(self, user: User) -> tuple[str, bool] | None:
        if not user.phone:
            return None
        return user.phone, user.phone_verified

    def set_phone_verified(self, user: User, phone: str) -> None:
        # Also the last step of changing a number: the new number is only attached once
        # its code has been entered, so this sets it as well as marking it verified.
        services.user_set_phone(user=user, phone=phone, verified=True)

    def get_user_by_phone(self, phone: str) -> User | None:
        return selectors.user_get_by_phone(phone=phone)

    def send_verification_code_sms(self, user: User, phone: str, code: str, **kwargs) -> None:
        sms_send(phone=phone, message=str(SMS_VERIFICATION_CODE % {"code": code}))

    def send_unknown_account_sms(self, phone: str, **kwargs: Any) -> None:
        sms_send(phone=phone, message=str(SMS_UNKNOWN_ACCOUNT))

    def send_account_already_exists_sms(self, phone: str) -> None:
        sms_send(phone=phone, message=str(SMS_ACCOUNT_ALREADY_EXISTS))

    # --- rate limiting ---------------------------------------------------------------
    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """Count failed log-ins per account, phone logins included.

        allauth 65.21 keys this limit on e-mail or username only, so every phone log-in
        would share one empty key: five wrong passwords for one number would lock out all
        phone users, and the per-account limit would not protect a given number.
        """
        phone = credentials.get("phone")
        if phone and not credentials.get("email"):
            normalized = phone_normalize_or_none(phone) or phone
            return f"phone:{normalized}"
        return super()._get_login_attempts_cache_key(request, **credentials)
