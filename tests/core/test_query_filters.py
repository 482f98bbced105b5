"""Filter values the API does not know are a 400 naming the parameter, never silently ignored."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.mark.parametrize(
    ("who", "url", "parameter"),
    [
        ("shopper", "/api/v1/aftersales/?status=AAA", "status"),
        ("merchant_a", "/api/v1/merchant/aftersales/?status=AAA", "status"),
        ("merchant_a", "/api/v1/merchant/reviews/?replied=maybe", "replied"),
        ("shopper", "/api/v1/orders/?tab=AAA", "tab"),
        ("merchant_a", "/api/v1/merchant/orders/?status=AAA", "status"),
        ("merchant_a", "/api/v1/shipments/?status=AAA", "status"),
        ("merchant_a", "/api/v1/merchant/products/?status=AAA", "status"),
        (None, "/api/v1/products/?storage=AAA", "storage"),
    ],
)
def test_an_unknown_filter_value_is_a_400_naming_the_parameter(request, who, url, parameter):
    client = _client(request.getfixturevalue(who)) if who else APIClient()

    response = client.get(url)

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == [parameter]
    assert isinstance(body["fields"][parameter], list)
    assert all(isinstance(message, str) for message in body["fields"][parameter])


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("shopper", "/api/v1/aftersales/?status=requested"),
        ("merchant_a", "/api/v1/merchant/reviews/?replied=false"),
        ("shopper", "/api/v1/orders/?tab=paid"),
        ("merchant_a", "/api/v1/merchant/orders/?status=paid"),
        ("shopper", "/api/v1/orders/?tab="),
    ],
)
def test_a_known_filter_value_is_taken(request, who, url):
    response = _client(request.getfixturevalue(who)).get(url)

    assert response.status_code == 200, response.content
