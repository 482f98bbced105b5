"""Names and texts people type: no bidi/zero-width tricks, and a length limit, one place."""

import pytest
from django.core.exceptions import ValidationError
from django.forms import modelform_factory
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.catalog.models import Product
from apps.core.validators import (
    DESCRIPTION_MAX_LENGTH,
    validate_display_name,
    validate_visible_text,
)
from apps.stores.models import Store

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
ZWSP = "\u200b"  # ZERO WIDTH SPACE


@pytest.mark.parametrize(
    "value",
    [
        f"五常大米{RLO}gk5",
        f"五常{ZWSP}大米",
        "五常\u200d大米",  # zero-width joiner
        "\ufeff五常大米",  # BOM
        "五常\u2066大米\u2069",  # isolates
        "五常\u200f大米",  # right-to-left mark
        "五常\n大米",
        "五常\x00大米",
    ],
)
def test_a_display_name_refuses_invisible_and_direction_characters(value):
    with pytest.raises(ValidationError) as exc:
        validate_display_name(value)
    assert exc.value.code == "invisible_characters"
    assert "U+" in exc.value.messages[0]


@pytest.mark.parametrize("value", ["五常稻花香大米 5kg", "Gannan 脐橙 · 10斤", "农家土鸡蛋🥚"])
def test_a_display_name_takes_ordinary_text(value):
    validate_display_name(value)


def test_a_long_text_keeps_line_breaks_and_emoji_but_not_direction_overrides():
    validate_visible_text("第一行\n第二行\t缩进 👨\u200d👩\u200d👧")
    with pytest.raises(ValidationError):
        validate_visible_text(f"很好吃{RLO}差很")
    with pytest.raises(ValidationError):
        validate_visible_text("很好\x07吃")


def test_the_model_form_the_admin_uses_refuses_a_bidi_title_and_a_huge_description():
    form_class = modelform_factory(Product, fields=["title", "description"])

    form = form_class(data={"title": f"五常大米{RLO}gk5", "description": "好" * 200_000})

    assert not form.is_valid()
    assert set(form.errors) == {"title", "description"}


def test_a_store_name_with_zero_width_characters_is_refused_by_model_validation(db):
    store = Store(name=f"五常{ZWSP}稻米合作社")
    with pytest.raises(ValidationError) as exc:
        store.full_clean()
    assert "name" in exc.value.message_dict


@pytest.fixture
def merchant_client(merchant_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=merchant_a).key}")
    return client


def _product(store, category, **overrides):
    return {
        "store": store.pk,
        "category": category.pk,
        "title": "五常长粒香大米 10kg",
        "origin_code": "230184",
        "storage": "ambient",
        "skus": [{"spec": "5kg/袋", "retail_price": "49.90", "stock": 80}],
        **overrides,
    }


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": f"五常大米{RLO}gk5"}, "title"),
        ({"subtitle": f"新米{ZWSP}上市"}, "subtitle"),
        ({"description": "好" * 200_000}, "description"),
        ({"description": f"很好{RLO}吃"}, "description"),
    ],
)
def test_the_product_api_refuses_hidden_characters_and_huge_texts(
    merchant_client, store_a, overrides, field
):
    from tests.factories import CategoryFactory

    payload = _product(store_a, CategoryFactory(), **overrides)

    response = merchant_client.post("/api/v1/merchant/products/", payload, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not Product.objects.exists()


def test_a_description_at_the_limit_is_taken(merchant_client, store_a):
    from tests.factories import CategoryFactory

    payload = _product(store_a, CategoryFactory(), description="好" * DESCRIPTION_MAX_LENGTH)

    response = merchant_client.post("/api/v1/merchant/products/", payload, format="json")

    assert response.status_code == 201, response.content


def test_the_profile_api_refuses_a_name_that_poses_as_another(db, shopper):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=shopper).key}")

    response = client.patch("/api/v1/me/", {"name": f"客服{RLO}小王"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["name"]
    shopper.refresh_from_db()
    assert shopper.name == "顾客小王"
