import pytest
from django.urls import reverse

from apps.catalog.models import Product, Sku
from apps.orders.models import Cart, CartLine
from apps.orders.services.cart import CART_SESSION_KEY
from apps.stores.models import Store
from tests.orders.conftest import fill_cart, make_sku

pytestmark = pytest.mark.django_db


def add(client, sku, quantity=1, **extra):
    return client.post(reverse("orders:cart_add"), {"sku": sku.pk, "quantity": quantity, **extra})


def test_guest_adds_from_product_page_and_sees_the_cart_grouped_by_store(client, store_a, store_b):
    rice = make_sku(store_a, price="59.90", stock=10)
    oranges = make_sku(store_b, price="39.00", stock=10)
    detail = reverse("catalog:product_detail", args=[rice.product_id])

    response = add(client, rice, 2, next=detail)
    add(client, oranges, 1)
    add(client, rice, 1)
    page = client.get(reverse("orders:cart"))

    assert response.status_code == 302
    assert response["Location"] == detail
    summary = page.context["summary"]
    assert [(g.store.pk, [(i.sku.pk, i.quantity) for i in g.items]) for g in summary.groups] == [
        (store_a.pk, [(rice.pk, 3)]),
        (store_b.pk, [(oranges.pk, 1)]),
    ]
    assert str(summary.goods_amount) == "218.70"
    html = page.content.decode()
    assert store_a.name in html
    assert store_b.name in html
    assert 'class="badge badge-count">4<' in html  # header badge: 4 pieces
    assert Cart.objects.get().user is None


@pytest.mark.parametrize("quantity", ["0", "-1", "10000", "abc", "1e3", ""])
def test_bad_quantities_are_refused(client, store_a, quantity):
    sku = make_sku(store_a, stock=10)
    add(client, sku, quantity)
    assert CartLine.objects.count() == 0


def test_unknown_and_unsellable_skus_are_refused(client, store_a):
    off = make_sku(store_a, stock=10)
    Product.objects.filter(pk=off.product_id).update(status=Product.Status.OFF_SALE)

    unknown = client.post(reverse("orders:cart_add"), {"sku": 999999, "quantity": 1})
    add(client, off, 1)

    assert unknown.status_code == 302
    assert CartLine.objects.count() == 0


def test_cannot_add_more_than_available(client, store_a):
    sku = make_sku(store_a, stock=5)
    Sku.objects.filter(pk=sku.pk).update(reserved=2)

    add(client, sku, 3)
    response = add(client, sku, 1, next="/cart/")
    messages = [str(m) for m in response.wsgi_request._messages]

    assert CartLine.objects.get().quantity == 3
    assert any("库存不足，仅剩 3 件" in m for m in messages)


def test_lines_that_went_bad_are_flagged_and_checkout_is_blocked(client, shopper, store_a, store_b):
    good = make_sku(store_b, stock=10)
    off = make_sku(store_a, stock=10)
    gone = make_sku(store_a, stock=10)
    closed = make_sku(store_b, stock=10)
    fill_cart(shopper, (good, 1), (off, 1), (gone, 5))
    Product.objects.filter(pk=off.product_id).update(status=Product.Status.OFF_SALE)
    Sku.objects.filter(pk=gone.pk).update(stock=2)
    client.force_login(shopper)

    page = client.get(reverse("orders:cart"))
    summary = page.context["summary"]
    problems = {i.sku.pk: i.problem for i in summary.items}

    assert problems == {good.pk: "", off.pk: "商品已下架", gone.pk: "库存不足，仅剩 2 件"}
    assert summary.can_checkout is False
    assert str(summary.goods_amount) == str(good.retail_price)
    assert "disabled>去结算" in page.content.decode().replace("\n", "")
    # a suspended store's lines are flagged too
    fill_cart(shopper, (closed, 1))
    Store.objects.filter(pk=store_b.pk).update(status=Store.Status.SUSPENDED)
    summary = client.get(reverse("orders:cart")).context["summary"]
    assert {i.sku.pk: i.problem for i in summary.items}[closed.pk] == "店铺暂停营业"

    client.post(reverse("orders:cart_clear_unavailable"))
    assert list(CartLine.objects.values_list("sku_id", flat=True)) == []  # all four were bad


def test_update_and_remove_lines_only_in_own_cart(client, shopper, store_a):
    from tests.factories import UserFactory

    sku = make_sku(store_a, stock=10)
    mine = fill_cart(shopper, (sku, 2)).lines.get()
    theirs = fill_cart(UserFactory(), (sku, 1)).lines.get()
    client.force_login(shopper)

    client.post(reverse("orders:cart_line_update", args=[mine.pk]), {"quantity": 4})
    too_many = client.post(reverse("orders:cart_line_update", args=[mine.pk]), {"quantity": 11})
    foreign_update = client.post(
        reverse("orders:cart_line_update", args=[theirs.pk]), {"quantity": 5}
    )
    foreign_remove = client.post(reverse("orders:cart_line_remove", args=[theirs.pk]))

    assert too_many.status_code == 302
    assert CartLine.objects.get(pk=mine.pk).quantity == 4
    assert (foreign_update.status_code, foreign_remove.status_code) == (404, 404)
    assert CartLine.objects.get(pk=theirs.pk).quantity == 1
    client.post(reverse("orders:cart_line_remove", args=[mine.pk]))
    assert not CartLine.objects.filter(pk=mine.pk).exists()


def test_guest_cart_merges_into_the_users_cart_at_log_in(client, shopper, store_a, password):
    # given the shopper already has 2 of the rice in their cart, and as a guest adds more
    rice = make_sku(store_a, stock=10)
    eggs = make_sku(store_a, stock=4)
    fill_cart(shopper, (rice, 2), (eggs, 3))
    add(client, rice, 3)
    add(client, eggs, 3)
    guest_cart = Cart.objects.get(user__isnull=True)
    assert client.session[CART_SESSION_KEY] == guest_cart.session_key

    # when they log in through the real log-in form
    response = client.post(reverse("account_login"), {"login": shopper.email, "password": password})

    # then quantities add up (capped by stock) in the user's cart, the guest cart is gone
    assert response.status_code == 302
    lines = dict(CartLine.objects.filter(cart__user=shopper).values_list("sku_id", "quantity"))
    assert lines == {rice.pk: 5, eggs.pk: 4}
    assert not Cart.objects.filter(pk=guest_cart.pk).exists()
    assert CART_SESSION_KEY not in client.session
    assert 'class="badge badge-count">9<' in client.get(reverse("orders:cart")).content.decode()


def test_checkout_needs_log_in_and_keeps_the_guest_cart(client, store_a):
    sku = make_sku(store_a, stock=10)
    add(client, sku, 1)
    response = client.get(reverse("orders:checkout"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert CartLine.objects.count() == 1


def test_cart_api(api_client, shopper, store_a):
    sku = make_sku(store_a, price="9.90", stock=3)
    api_client.force_authenticate(shopper)

    added = api_client.post(
        reverse("api-cart-lines"), {"sku_id": sku.pk, "quantity": 2}, format="json"
    )
    over = api_client.post(
        reverse("api-cart-lines"), {"sku_id": sku.pk, "quantity": 2}, format="json"
    )
    negative = api_client.post(
        reverse("api-cart-lines"), {"sku_id": sku.pk, "quantity": -1}, format="json"
    )
    huge = api_client.post(
        reverse("api-cart-lines"), {"sku_id": sku.pk, "quantity": 10**9}, format="json"
    )
    missing = api_client.post(reverse("api-cart-lines"), {"sku_id": 999999}, format="json")
    line_id = added.json()["groups"][0]["items"][0]["line_id"]
    patched = api_client.patch(
        reverse("api-cart-line", args=[line_id]), {"quantity": 1}, format="json"
    )

    assert added.status_code == 201
    assert added.json()["goods_amount"] == "19.80"
    assert over.status_code == 409
    assert over.json()["code"] == "out_of_stock"
    assert (negative.status_code, huge.status_code, missing.status_code) == (400, 400, 404)
    assert patched.json()["piece_count"] == 1
    assert api_client.delete(reverse("api-cart-line", args=[line_id])).json()["groups"] == []
    assert api_client.get(reverse("api-cart")).status_code == 200
    api_client.force_authenticate(None)
    assert api_client.get(reverse("api-cart")).status_code == 401


def test_product_page_has_a_working_add_to_cart_form(client, store_a):
    sku = make_sku(store_a, stock=10)
    url = reverse("catalog:product_detail", args=[sku.product_id])

    html = client.get(url).content.decode()

    assert f'action="{reverse("orders:cart_add")}"' in html
    assert f'name="sku" value="{sku.pk}"' in html
    response = client.post(
        reverse("orders:cart_add"), {"sku": sku.pk, "quantity": 2, "buy_now": "1"}
    )
    assert response["Location"] == reverse("orders:checkout")
    assert CartLine.objects.get().quantity == 2
