from django.apps import AppConfig


class DistributionConfigApp(AppConfig):
    name = "apps.distribution"
    label = "distribution"
    verbose_name = "分销"

    def ready(self) -> None:
        from apps.distribution import receivers  # noqa: F401
