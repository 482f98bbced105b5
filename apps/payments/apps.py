from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "apps.payments"
    label = "payments"
    verbose_name = "支付"

    def ready(self) -> None:
        from apps.payments import checks, receivers  # noqa: F401
