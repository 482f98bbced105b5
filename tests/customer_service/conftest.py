"""People of customer service (agent, supervisor, manager, director: Django groups through
the app's role grants) and cases opened through the real service."""

import pytest
from django.contrib.auth.models import Group

from apps.core.roles import CS_AGENT, CS_DIRECTOR, CS_MANAGER, CS_SUPERVISOR, roles_sync
from apps.customer_service.models import Case
from apps.customer_service.services import case_open
from tests.factories import UserFactory
from tests.traceability.conftest import make_lot, plot_a, rice  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def _roles(db):
    roles_sync()


def _member(role: str, name: str, **kwargs):
    user = UserFactory(name=name, is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def agent(db):
    return _member(CS_AGENT, "客服小李")


@pytest.fixture
def supervisor(db):
    return _member(CS_SUPERVISOR, "客服主管老张")


@pytest.fixture
def manager(db):
    return _member(CS_MANAGER, "客服经理王姐")


@pytest.fixture
def director(db):
    return _member(CS_DIRECTOR, "客服总监")


def open_case(customer=None, **kwargs) -> Case:
    kwargs.setdefault("channel", Case.Channel.WEB)
    kwargs.setdefault("category", Case.Category.QUALITY)
    kwargs.setdefault("subject", "大米有虫")
    kwargs.setdefault("description", "收到的大米里有小虫子。")
    if customer is None:
        kwargs.setdefault("contact_phone", "+8613800138000")
    return case_open(customer=customer, opened_by=customer, **kwargs)


@pytest.fixture
def lot_a(store_a, rice, plot_a):  # noqa: F811
    return make_lot(store_a, rice, plot=plot_a)
