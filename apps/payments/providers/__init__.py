"""The provider registry, built from settings.PAYMENT_PROVIDERS (only enabled ones)."""

from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from apps.core.errors import ApplicationError
from apps.payments.errors import PaymentErrorCode
from apps.payments.providers.base import PaymentProvider


@cache
def _registry() -> dict[str, PaymentProvider]:
    providers = {}
    for name, spec in settings.PAYMENT_PROVIDERS.items():
        if not spec.get("ENABLED", True):
            continue
        provider_class = import_string(spec["BACKEND"])
        providers[name] = provider_class(**spec.get("OPTIONS", {}))
    return providers


@receiver(setting_changed)
def _reset_registry(*, setting: str, **kwargs) -> None:
    if setting in {"PAYMENT_PROVIDERS", "PAYMENT_SANDBOX_SECRET", "SITE_URL"}:
        _registry.cache_clear()


def enabled_providers() -> dict[str, PaymentProvider]:
    return dict(_registry())


def get_provider(name: str) -> PaymentProvider:
    provider = _registry().get(name)
    if provider is None:
        raise ApplicationError(
            "不支持的支付方式。", code=PaymentErrorCode.PROVIDER_UNAVAILABLE, status_code=400
        )
    return provider


def provider_label(name: str) -> str:
    """The channel's name for people (支付宝, 模拟支付), also for a provider since turned off;
    the code itself only when settings no longer know it."""
    spec = settings.PAYMENT_PROVIDERS.get(name)
    if spec is None:
        return name
    return str(import_string(spec["BACKEND"]).label or name)
