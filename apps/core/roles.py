"""Platform roles as Django groups, with the permissions each needs.

Each app declares the grants of its own models in its own `roles.py`:

    GRANTS = {MERCHANT: ["myapp.view_thing", ...], "客服专员": [...]}

(role names are the group names; the shared ones are below, an app may add its own).
`role_permissions()` collects them over the installed apps, and `roles_sync` runs after every
migrate (see CoreConfig.ready).
"""

from importlib import import_module
from importlib.util import find_spec

from django.db import transaction

MERCHANT = "商家"
PLATFORM_OPERATIONS = "平台运营"
STORE_REVIEWER = "入驻审核"
FINANCE = "财务"

# Settlement: merchants read their ledger and statements; finance and operations also confirm,
# mark paid out and add adjustments (always through apps.settlement.services).
_SETTLEMENT_VIEW = [
    "settlement.view_ledgerentry",
    "settlement.view_settlementstatement",
    "settlement.view_statementevent",
]
_SETTLEMENT_MANAGE = [
    *_SETTLEMENT_VIEW,
    "settlement.confirm_settlementstatement",
    "settlement.pay_out_settlementstatement",
    "settlement.adjust_ledgerentry",
]

_CATALOG_MODELS = ["product", "sku", "wholesaletier", "productimage"]
# Traceability: farm records, tests, certificates and events are added, never changed.
_TRACE_PERMISSIONS = [
    "traceability.recall_lot",
    "traceability.view_lotstatuschange",
    *[
        f"traceability.{v}_{m}"
        for m in ("party", "location", "lot")
        for v in ("view", "add", "change")
    ],
    *[
        f"traceability.{v}_{m}"
        for m in (
            "inputapplication",
            "inspection",
            "certificate",
            "traceevent",
            "tracecode",
            "tracecodebatch",
        )
        for v in ("view", "add")
    ],
]


_WHOLESALE_MODELS = [
    "buyerorganisation",
    "buyermember",
    "buyerorganisationevent",
    "creditentry",
    "buyerstatement",
]


def _crud(
    app_label: str, models: list[str], verbs=("view", "add", "change", "delete")
) -> list[str]:
    return [f"{app_label}.{verb}_{model}" for model in models for verb in verbs]


# Orders are read-only in the admin except shipping; freight templates are the store's own.
_ORDER_PERMISSIONS = [
    "orders.view_order",
    "orders.change_order",
    *_crud("orders", ["shippingtemplate", "shippingrule"]),
    # Delivery methods, county zones and time slots are the store's own too.
    *_crud("orders", ["deliveryoption", "deliveryzone", "deliveryslot"]),
    "orders.view_division",
]


# Logistics: merchants ship (add) and follow their parcels; staff also manage carriers.
_SHIPMENT_PERMISSIONS = ["logistics.view_shipment", "logistics.add_shipment"]


ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Merchant staff: their own store's catalogue (scoping is done by stores.selectors).
    MERCHANT: [
        "stores.view_store",
        "stores.change_store",
        "stores.view_storemember",
        *_crud("catalog", _CATALOG_MODELS),
        "catalog.view_category",
        *_TRACE_PERMISSIONS,
        # Orders of their store: read, and ship (change) through the admin's 发货 form.
        *_ORDER_PERMISSIONS,
        *_SHIPMENT_PERMISSIONS,
        # After-sales and reviews of their store: decide / reply through admin actions.
        *_crud("aftersales", ["aftersale", "review"], ("view", "change")),
        *_SETTLEMENT_VIEW,
    ],
    PLATFORM_OPERATIONS: [
        "stores.manage_all_stores",
        *_crud("stores", ["store", "storemember"]),
        "stores.view_storeevent",
        "stores.view_storeapplication",
        "stores.review_storeapplication",
        *_crud("catalog", [*_CATALOG_MODELS, "category"]),
        *_TRACE_PERMISSIONS,
        "traceability.view_chainanchor",
        *_ORDER_PERMISSIONS,
        *_SHIPMENT_PERMISSIONS,
        *_crud("logistics", ["carrier"], ("view", "add", "change")),
        # Carrier push sources and their signing secrets: operations only, never finance.
        *_crud("logistics", ["trackingfeed"]),
        "orders.view_paymentorder",
        # Community pickup points (partner shops) and their clerks are the platform's.
        *_crud("orders", ["pickuppoint"]),
        "accounts.view_user",
        # Wholesale buyers: review applications, grant credit, record repayments (views only:
        # every change goes through apps.wholesale.services from admin actions).
        "wholesale.review_buyerorganisation",
        "wholesale.manage_credit_buyerorganisation",
        *_crud("wholesale", _WHOLESALE_MODELS, verbs=("view",)),
        # Payments are the platform's (one checkout spans stores): read-only, no merchant access.
        *_crud("payments", ["payment", "paymentevent", "paymentnotification", "refund"], ("view",)),
        "payments.retry_refund",
        # After-sales and reviews of every store, plus dispute arbitration and moderation.
        *_crud("aftersales", ["aftersale", "review"], ("view", "change")),
        "aftersales.arbitrate_aftersale",
        "aftersales.moderate_review",
        *_SETTLEMENT_MANAGE,
    ],
    # Finance staff: every store's settlement (hence manage_all_stores), nothing else to change.
    FINANCE: [
        "stores.manage_all_stores",
        "stores.view_store",
        *_SETTLEMENT_MANAGE,
    ],
    STORE_REVIEWER: [
        "stores.view_storeapplication",
        "stores.review_storeapplication",
    ],
}


def role_permissions() -> dict[str, list[str]]:
    """Every role's permission names: the grants of each installed app's `roles.py`."""
    from django.apps import apps

    merged: dict[str, list[str]] = {name: list(perms) for name, perms in ROLE_PERMISSIONS.items()}
    for config in apps.get_app_configs():
        module_name = f"{config.name}.roles"
        if config.name == __name__.rsplit(".", 1)[0] or find_spec(module_name) is None:
            continue
        for role, perms in getattr(import_module(module_name), "GRANTS", {}).items():
            merged.setdefault(role, []).extend(perms)
    return merged


def permission_grant(app_label: str, models: list[str], verbs=("view", "add", "change", "delete")):
    """Permission names for `verbs` on `models` of one app (for apps' GRANTS)."""
    return [f"{app_label}.{verb}_{model}" for model in models for verb in verbs]


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
