"""price.alert: the price job's alerts reach subscribed apps once, however often it reruns."""

import datetime as dt

import pytest

from apps.analytics.services.prices import prices_aggregate
from apps.open_platform.models import WebhookEvent
from apps.open_platform.services.tokens import app_register
from apps.open_platform.services.webhooks import subscription_create
from tests.analytics.conftest import quote_setup  # noqa: F401  (fixture)
from tests.analytics.test_prices_job import quote
from tests.open_platform.conftest import deliver_due

pytestmark = pytest.mark.postgres

D = dt.date(2024, 3, 1)


def test_a_spike_is_announced_once_to_a_platform_app(quote_setup, staff, receiver):  # noqa: F811
    markets, commodities = quote_setup
    platform = app_register(
        actor=staff, name="县行情中心", store=None, acting_user=staff, contact_name="王"
    )
    subscription_create(actor=staff, app=platform, url=receiver.url, events=["price.alert"])
    for i in range(30):
        price = 10 if i < 29 else 20
        quote(markets["xinfadi"], commodities["土豆"], D + dt.timedelta(days=i), price)

    prices_aggregate()
    prices_aggregate(full=True)  # a rebuild makes the same alerts again
    deliver_due()

    assert WebhookEvent.objects.filter(type="price.alert").count() == 4  # one per scope
    alerts = sorted(r.json["data"]["alert"]["scope"] for r in receiver.requests)
    assert alerts == ["county", "market", "national", "province"]
    first = receiver.requests[0].json["data"]["alert"]
    assert (first["commodity"], first["kind"], first["price"]) == ("土豆", "spike", "20.00")
