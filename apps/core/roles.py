"""Platform roles as Django groups; each app grants its own permissions to them.

Core knows only the role names (the group names) and how to collect and sync the grants. Each
app declares what every role may do with its own models in its own `roles.py`:

    from apps.core.roles import MERCHANT, PLATFORM_OPERATIONS, permission_grant

    GRANTS = {
        MERCHANT: ["myapp.view_thing"],
        PLATFORM_OPERATIONS: permission_grant("myapp", ["thing"]),
    }

A new role is a new name here (or one an app adds in its own GRANTS). `role_permissions()`
collects the grants over the installed apps, and `roles_sync` runs after every migrate (see
CoreConfig.ready), so a lower app never changes for a higher one's permissions.
"""

from importlib import import_module
from importlib.util import find_spec

from django.db import transaction

MERCHANT = "商家"
PLATFORM_OPERATIONS = "平台运营"
STORE_REVIEWER = "入驻审核"
FINANCE = "财务"
# Customer service (客服): agents, and the three levels a breached SLA escalates to.
CS_AGENT = "客服专员"
CS_SUPERVISOR = "客服主管"
CS_MANAGER = "客服经理"
CS_DIRECTOR = "客服总监"

# Every role exists as a group even before an app grants it anything.
ROLES = (
    MERCHANT,
    PLATFORM_OPERATIONS,
    STORE_REVIEWER,
    FINANCE,
    CS_AGENT,
    CS_SUPERVISOR,
    CS_MANAGER,
    CS_DIRECTOR,
)


def permission_grant(
    app_label: str, models: list[str], verbs=("view", "add", "change", "delete")
) -> list[str]:
    """Permission names for `verbs` on `models` of one app (for an app's GRANTS)."""
    return [f"{app_label}.{verb}_{model}" for model in models for verb in verbs]


def role_permissions() -> dict[str, list[str]]:
    """Every role's permission names: the grants of each installed app's `roles.py`."""
    from django.apps import apps

    merged: dict[str, list[str]] = {name: [] for name in ROLES}
    for config in apps.get_app_configs():
        module_name = f"{config.name}.roles"
        if find_spec(module_name) is None:
            continue
        for role, perms in getattr(import_module(module_name), "GRANTS", {}).items():
            merged.setdefault(role, []).extend(perms)
    return merged


@transaction.atomic
def roles_sync() -> None:
    from django.contrib.auth.models import Group, Permission

    # Every permission in one query rather than one query per name of every role.
    by_name: dict[str, list[Permission]] = {}
    for permission in Permission.objects.select_related("content_type"):
        name = f"{permission.content_type.app_label}.{permission.codename}"
        by_name.setdefault(name, []).append(permission)
    for group_name, perm_names in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.set([p for name in perm_names for p in by_name.get(name, [])])
