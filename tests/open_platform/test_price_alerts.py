"""price.alert: the price job's alerts reach subscribed apps once, however often it reruns."""

import datetime as dt

import pytest

from apps.analytics.models import PriceAlert
from apps.analytics.services.prices import prices_aggregate
from apps.open_platform.models import WebhookEvent
from apps.open_platform.services.events import price_alerts_record
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
    first_run = WebhookEvent.objects.filter(type="price.alert").count()
    prices_aggregate(full=True)  # a rebuild makes the same alerts again
    deliver_due()

    # A spike per scope of 新发地, and the 下旬 rise past the vegetables' 旬 threshold.
    kinds = sorted(
        (r.json["data"]["alert"]["kind"], r.json["data"]["alert"]["scope"])
        for r in receiver.requests
    )
    assert [scope for kind, scope in kinds if kind == "spike"] == [
        "county",
        "market",
        "national",
        "province",
    ]
    assert WebhookEvent.objects.filter(type="price.alert").count() == first_run == len(kinds)
    assert len(set(kinds)) == len(kinds)  # each alert once
    spike = next(
        r.json["data"]["alert"]
        for r in receiver.requests
        if r.json["data"]["alert"]["kind"] == "spike"
    )
    assert (spike["commodity"], spike["price"]) == ("土豆", "20.00")


def test_alerts_announced_before_cost_two_queries_whatever_their_number(
    quote_setup,  # noqa: F811
    staff,
    receiver,
    django_assert_num_queries,
):
    markets, commodities = quote_setup
    platform = app_register(
        actor=staff, name="县行情中心", store=None, acting_user=staff, contact_name="王"
    )
    subscription_create(actor=staff, app=platform, url=receiver.url, events=["price.alert"])
    for i in range(30):
        quote(
            markets["xinfadi"], commodities["土豆"], D + dt.timedelta(days=i), 10 if i < 29 else 20
        )
    prices_aggregate()
    alerts = list(PriceAlert.objects.select_related("commodity"))
    assert len(alerts) > 1
    assert WebhookEvent.objects.filter(type="price.alert").count() == len(alerts)

    # The subscriptions and the keys announced before, once each; nothing recorded again.
    with django_assert_num_queries(2):
        assert price_alerts_record(alerts=alerts) == 0
    assert WebhookEvent.objects.filter(type="price.alert").count() == len(alerts)
