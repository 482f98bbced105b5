from django.apps import AppConfig


class OpenPlatformConfig(AppConfig):
    name = "apps.open_platform"
    label = "open_platform"
    verbose_name = "开放平台"

    def ready(self) -> None:
        from apps.open_platform import receivers, schema  # noqa: F401
