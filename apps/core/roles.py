"""Platform roles as Django groups, with the permissions each needs.

Permissions are named as strings so this module imports no app; each issue adds its models'
permissions here. `roles_sync` runs after every migrate (see CoreConfig.ready).
"""

from django.db import transaction

MERCHANT = "商家"
PLATFORM_OPERATIONS = "平台运营"
STORE_REVIEWER = "入驻审核"

_CATALOG_MODELS = ["product", "sku", "wholesaletier", "productimage"]


def _crud(
    app_label: str, models: list[str], verbs=("view", "add", "change", "delete")
) -> list[str]:
    return [f"{app_label}.{verb}_{model}" for model in models for verb in verbs]


ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Merchant staff: their own store's catalogue (scoping is done by stores.selectors).
    MERCHANT: [
        "stores.view_store",
        "stores.change_store",
        "stores.view_storemember",
        *_crud("catalog", _CATALOG_MODELS),
        "catalog.view_category",
    ],
    PLATFORM_OPERATIONS: [
        "stores.manage_all_stores",
        *_crud("stores", ["store", "storemember"]),
        "stores.view_storeevent",
        "stores.view_storeapplication",
        "stores.review_storeapplication",
        *_crud("catalog", [*_CATALOG_MODELS, "category"]),
        "accounts.view_user",
    ],
    STORE_REVIEWER: [
        "stores.view_storeapplication",
        "stores.review_storeapplication",
        "stores.view_store",
    ],
}


@transaction.atomic
def roles_sync() -> None:
    from django.contrib.auth.models import Group, Permission

    for group_name, perm_names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        wanted = []
        for name in perm_names:
            app_label, codename = name.split(".", 1)
            wanted.extend(
                Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
