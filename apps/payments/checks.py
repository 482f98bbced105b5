from django.conf import settings
from django.core.checks import Tags, Warning, register

DEFAULT_SANDBOX_SECRET = "sandbox-secret-change-me"


@register(Tags.security, deploy=True)
def sandbox_secret_check(app_configs, **kwargs) -> list[Warning]:
    """A deployed sandbox with the published default secret lets anyone forge "paid"."""
    sandbox = settings.PAYMENT_PROVIDERS.get("sandbox", {})
    if sandbox.get("ENABLED") and settings.PAYMENT_SANDBOX_SECRET == DEFAULT_SANDBOX_SECRET:
        return [
            Warning(
                "The sandbox payment provider is enabled with the default secret.",
                hint="Set PAYMENT_SANDBOX_SECRET, or PAYMENT_SANDBOX_ENABLED=false.",
                id="payments.W001",
            )
        ]
    return []
