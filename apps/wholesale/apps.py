from django.apps import AppConfig


class WholesaleConfig(AppConfig):
    name = "apps.wholesale"
    label = "wholesale"
    verbose_name = "批发采购"
