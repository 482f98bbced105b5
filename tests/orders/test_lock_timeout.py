"""A SKU row held locked by another connection: checkout answers a clean 503 with Retry-After
within the lock timeout (JSON for the API, the "系统繁忙" page for people), changes nothing,
and the rest of the site keeps answering. Real threads and connections on PostgreSQL."""

import os
import subprocess
import sys
import threading

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse

from apps.catalog.models import Sku
from apps.orders.models import CartLine, PaymentOrder
from tests.factories import UserFactory
from tests.orders.conftest import fill_cart, make_address, make_sku, sku_state

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def show(setting: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {setting}")
        return cursor.fetchone()[0]


def test_every_connection_has_a_lock_timeout(settings):
    assert settings.DB_LOCK_TIMEOUT_MS == 5000
    assert show("lock_timeout") == "5s"


def test_web_processes_get_a_statement_timeout_and_manage_py_none():
    """config/wsgi.py (gunicorn's entry point) sets 20 s; migrations and workers run without."""
    script = (
        "import config.wsgi; from django.db import connection; c = connection.cursor(); "
        "c.execute('SHOW statement_timeout'); print(c.fetchone()[0])"
    )
    env = {k: v for k, v in os.environ.items() if k != "DB_STATEMENT_TIMEOUT_MS"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    web = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )

    assert web.stdout.strip() == "20s"
    assert show("statement_timeout") == "0"  # this test process: not the web


class HeldRow:
    """A SKU row another connection holds FOR UPDATE until `release()` (or the test's end)."""

    def __init__(self, sku: Sku, *, no_key: bool = False) -> None:
        self.sku, self.no_key = sku, no_key
        self._locked, self._release = threading.Event(), threading.Event()
        self._holder = threading.Thread(target=self._hold)
        self._holder.start()
        assert self._locked.wait(10)

    def _hold(self) -> None:
        try:
            with transaction.atomic():
                Sku.objects.select_for_update(no_key=self.no_key).get(pk=self.sku.pk)
                self._locked.set()
                self._release.wait(30)
        finally:
            connections.close_all()

    def release(self) -> None:
        self._release.set()
        self._holder.join()


@pytest.fixture
def hold():
    rows = []

    def start(sku: Sku, **kwargs) -> HeldRow:
        rows.append(HeldRow(sku, **kwargs))
        return rows[-1]

    yield start
    for row in rows:
        row.release()


def short_lock_timeout() -> None:
    """This connection waits at most 1 s for a lock (the configured 5 s, shortened to keep the
    suite quick; the test above checks the configured value)."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '1s'")


def test_checkout_of_a_locked_sku_answers_503_and_the_site_keeps_answering(
    client, api_client, shopper, store_a, divisions, hold
):
    # given: the shopper has a SKU in the cart whose row another connection holds
    address = make_address(shopper)
    sku = make_sku(store_a, price="9.90", stock=10)
    fill_cart(shopper, (sku, 1))
    hold(sku)
    short_lock_timeout()
    api_client.force_authenticate(shopper)
    client.force_login(shopper)

    # when: the shopper checks out through the API and through the page
    api = api_client.post(
        reverse("api-checkout"),
        {"address_id": address.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="held-lock-api-1",
    )
    page = client.post(
        reverse("orders:checkout"), {"idempotency_key": "held-lock-page-1", "address": address.pk}
    )

    # then: a clean 503 with Retry-After, in the API's error shape and as a Chinese page
    assert (api.status_code, api["Retry-After"]) == (503, "5")
    assert api.json() == {"code": "unavailable", "message": "系统繁忙，请稍后再试。", "fields": {}}
    assert (page.status_code, page["Retry-After"]) == (503, "5")
    assert page["Content-Type"].startswith("text/html")
    assert "系统繁忙，请稍后再试" in page.content.decode()
    # nothing was placed or reserved
    assert PaymentOrder.objects.count() == 0
    # the rest of the site answers meanwhile: the home page, the held SKU's own page, the cart
    assert client.get(reverse("catalog:home")).status_code == 200
    assert client.get(reverse("catalog:product_detail", args=[sku.product_id])).status_code == 200
    assert client.get(reverse("orders:cart")).status_code == 200


def test_once_the_lock_is_released_the_same_checkout_goes_through(
    api_client, shopper, store_a, divisions, hold
):
    address = make_address(shopper)
    sku = make_sku(store_a, price="9.90", stock=10)
    fill_cart(shopper, (sku, 1))
    held = hold(sku)
    short_lock_timeout()
    api_client.force_authenticate(shopper)
    url = reverse("api-checkout")
    body = {"address_id": address.pk}

    refused = api_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-after-1")
    held.release()
    retried = api_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-after-1")

    assert refused.status_code == 503
    assert retried.status_code == 201
    assert sku_state(sku) == (10, 1)


def test_while_a_checkout_holds_a_sku_other_shoppers_can_still_add_it_to_their_carts(
    client, store_a, hold
):
    # given: a checkout's lock on the SKU (FOR NO KEY UPDATE, as _items_locked takes it)
    sku = make_sku(store_a, price="9.90", stock=10)
    hold(sku, no_key=True)
    short_lock_timeout()
    client.force_login(UserFactory())

    # when another shopper adds it to the cart
    response = client.post(reverse("orders:cart_add"), {"sku": sku.pk, "quantity": 1})

    # then the cart line is written at once (its foreign key only needs a key-share lock)
    assert response.status_code == 302
    assert CartLine.objects.filter(sku=sku).count() == 1
