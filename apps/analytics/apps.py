from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "apps.analytics"
    label = "analytics"
    verbose_name = "大数据"

    def ready(self) -> None:
        from apps.analytics import receivers  # noqa: F401  (connects them)
