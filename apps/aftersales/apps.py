from django.apps import AppConfig


class AftersalesConfig(AppConfig):
    name = "apps.aftersales"
    label = "aftersales"
    verbose_name = "售后与评价"

    def ready(self) -> None:
        from apps.aftersales import receivers  # noqa: F401  (connects the signal receivers)
