from django.apps import AppConfig


class SettlementConfig(AppConfig):
    name = "apps.settlement"
    label = "settlement"
    verbose_name = "结算"

    def ready(self) -> None:
        from apps.settlement import receivers  # noqa: F401
