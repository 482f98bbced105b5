"""The profile page's 默认收货地址 section shows the default address (orders renders it)."""

import pytest
from django.urls import reverse

from tests.orders.conftest import make_address

pytestmark = pytest.mark.django_db


def test_profile_shows_the_default_address_not_the_newest(client, shopper, divisions):
    make_address(shopper, contact_name="李默认", detail="幸福村 8 号", is_default=True)
    make_address(shopper, contact_name="赵其他", detail="光明路 1 号")
    client.force_login(shopper)

    body = client.get(reverse("accounts:profile")).content.decode()

    section = body[body.index("默认收货地址") :]
    assert "李默认" in section
    assert "幸福村 8 号" in section
    assert "赵其他" not in section
    assert "138****5678" in section
    assert "13812345678" not in section
    assert reverse("orders:address_list") in section


def test_profile_without_an_address_offers_to_add_one(client, shopper):
    client.force_login(shopper)

    body = client.get(reverse("accounts:profile")).content.decode()

    assert "还没有收货地址" in body
    assert reverse("orders:address_create") in body
