"""Platform roles as groups (apps/core/roles.py), synced once per migrate."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group

from apps.core import roles
from apps.core.apps import _sync_roles
from apps.core.roles import MERCHANT, ROLE_PERMISSIONS, roles_sync

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
    with django_assert_max_num_queries(4 * len(ROLE_PERMISSIONS) + 2):
        roles_sync()

    # then: every group holds exactly the permissions its role lists
    for name, wanted in ROLE_PERMISSIONS.items():
        assert _names(Group.objects.get(name=name)) == set(wanted)


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
