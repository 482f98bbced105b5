from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _sync_roles(sender, app_config, **kwargs) -> None:
    # post_migrate is sent once per app (and after every flush of a transactional test); the
    # roles need every app's permissions, which all exist once the last app's turn comes.
    last = [config for config in apps.get_app_configs() if config.models_module][-1]
    if app_config is not last:
        return
    from apps.core.roles import roles_sync

    roles_sync()


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        # Runs once per migrate (on the last app's signal), when every permission exists.
        post_migrate.connect(_sync_roles, dispatch_uid="tianjian-roles-sync")
