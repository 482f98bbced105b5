from django.apps import AppConfig


class LogisticsConfig(AppConfig):
    name = "apps.logistics"
    label = "logistics"
    verbose_name = "物流履约"

    def ready(self) -> None:
        from apps.logistics import receivers  # noqa: F401
