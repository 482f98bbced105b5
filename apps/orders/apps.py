from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "apps.orders"
    label = "orders"
    verbose_name = "订单"

    def ready(self) -> None:
        from apps.orders import receivers  # noqa: F401
