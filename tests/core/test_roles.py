"""Platform roles as groups (apps/core/roles.py): each app grants its own permissions (its
roles.py GRANTS), core collects them; synced once per migrate."""

from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Group

from apps.core import roles
from apps.core.apps import _sync_roles
from apps.core.roles import FINANCE, MERCHANT, ROLES, role_permissions, roles_sync

pytestmark = pytest.mark.django_db


def _names(group: Group) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def test_roles_sync_gives_each_group_exactly_its_permissions(django_assert_max_num_queries):
    # given: a merchant group that drifted (one permission removed)
    roles_sync()
    merchant = Group.objects.get(name=MERCHANT)
    merchant.permissions.remove(merchant.permissions.first())

    # when: the roles are synced again (a fixed number of queries, not one per permission)
    wanted_by_role = role_permissions()
    with django_assert_max_num_queries(4 * len(wanted_by_role) + 2):
        roles_sync()

    # then: every group holds exactly the permissions its role is granted (so every granted
    # name is a real permission: a misspelt one would be missing from the group)
    assert set(wanted_by_role) == set(ROLES)
    for name, wanted in wanted_by_role.items():
        assert wanted
        assert _names(Group.objects.get(name=name)) == set(wanted)


def test_each_app_grants_only_its_own_permissions():
    # given: the installed apps that declare grants
    declaring = {
        config.label: import_module(f"{config.name}.roles").GRANTS
        for config in apps.get_app_configs()
        if find_spec(f"{config.name}.roles")
        and hasattr(import_module(f"{config.name}.roles"), "GRANTS")
    }

    # then: core grants nothing (it names no other app's permissions), every app of the
    # platform names only its own, and the roles collect exactly their union
    assert "core" not in declaring
    assert set(declaring) >= {
        "accounts",
        "stores",
        "catalog",
        "traceability",
        "wholesale",
        "orders",
        "logistics",
        "payments",
        "aftersales",
        "settlement",
    }
    for label, grants in declaring.items():
        for perms in grants.values():
            assert {name.split(".")[0] for name in perms} == {label}, label
    core_source = Path(roles.__file__).read_text(encoding="utf-8")
    assert not [label for label in declaring if f'"{label}.' in core_source]
    collected = role_permissions()
    for role in ROLES:
        assert sorted(collected[role]) == sorted(
            name for grants in declaring.values() for name in grants.get(role, [])
        )


def test_merchant_and_finance_grants_stay_within_their_role():
    # given: the collected grants
    collected = role_permissions()

    # then: merchants ship and read their settlement but cannot pay out or see payments;
    # finance manages settlement and changes no store
    assert {"logistics.add_shipment", "settlement.view_ledgerentry"} <= set(collected[MERCHANT])
    assert "settlement.pay_out_settlementstatement" not in collected[MERCHANT]
    assert not any(name.startswith("payments.") for name in collected[MERCHANT])
    assert "settlement.pay_out_settlementstatement" in collected[FINANCE]
    assert "stores.change_store" not in collected[FINANCE]


def test_post_migrate_syncs_roles_once_on_the_last_app(monkeypatch):
    # given: roles_sync counted instead of run
    calls = []
    monkeypatch.setattr(roles, "roles_sync", lambda: calls.append(1))
    configs = [config for config in apps.get_app_configs() if config.models_module]

    # when: post_migrate reaches the receiver for every app, as emit_post_migrate_signal sends it
    for config in configs:
        _sync_roles(sender=config, app_config=config, verbosity=0, using="default")

    # then: the roles were synced once, not once per app
    assert len(calls) == 1
