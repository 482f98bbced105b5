from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs) -> None:
    from apps.core.roles import roles_sync

    roles_sync()


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        # Runs once per migrate (after the last app), when every permission exists.
        post_migrate.connect(_sync_roles, dispatch_uid="tianjian-roles-sync")
