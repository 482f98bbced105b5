"""A listing tool or an ERP calls the channels API with an open-platform app token: the
token's scopes decide what it may do, and its app's store is the limit."""

import pytest

from apps.open_platform.services.tokens import app_register
from tests.open_platform.conftest import bearer, issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def erp(store_a, merchant_a):
    return app_register(
        actor=merchant_a, name="五常 ERP", store=store_a, acting_user=merchant_a, contact_name="李"
    )


def test_a_catalog_read_token_fetches_its_stores_feed(api_client, erp, merchant_a, listing_a):
    raw = issue(erp, merchant_a, scopes=["catalog:read"])

    response = api_client.get("/api/v1/channels/taobao/feed.json", **bearer(raw))

    assert response.status_code == 200
    assert [item["channel_item_id"] for item in response.json()["items"]] == ["TB-1001"]


def test_a_token_without_the_scope_is_refused_and_nothing_is_placed(
    api_client, erp, merchant_a, listing_a, rice_a
):
    raw = issue(erp, merchant_a, scopes=["catalog:read"])

    response = api_client.post(
        "/api/v1/channels/orders/",
        {"channel": "taobao", "channel_order_no": "TB-9", "lines": []},
        format="json",
        **bearer(raw),
    )

    assert response.status_code == 403
    assert "orders:write" in str(response.json())
    from apps.channels.models import ChannelOrder

    assert not ChannelOrder.objects.exists()


def test_a_revoked_token_cannot_read_the_feed(api_client, erp, merchant_a, listing_a):
    from apps.open_platform.models import AppToken
    from apps.open_platform.services.tokens import app_token_revoke

    raw = issue(erp, merchant_a, scopes=["catalog:read"])
    app_token_revoke(actor=merchant_a, token=AppToken.objects.get())

    response = api_client.get("/api/v1/channels/taobao/feed.json", **bearer(raw))

    assert response.status_code == 401
