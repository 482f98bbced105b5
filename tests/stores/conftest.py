import pytest
from django.contrib.auth.models import Group

from apps.core.roles import STORE_REVIEWER, roles_sync
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _roles(db):
    roles_sync()


@pytest.fixture
def reviewer(db):
    """入驻审核 staff: may review applications, nothing else."""
    roles_sync()
    user = UserFactory(name="审核员", is_staff=True)
    user.groups.add(Group.objects.get(name=STORE_REVIEWER))
    return user
