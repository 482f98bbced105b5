"""The OpenAPI schema documents the app-token scheme and each operation's scope."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    return client.get("/api/schema/?format=json").json()


def test_the_bearer_scheme_is_documented_with_the_scopes(schema):
    scheme = schema["components"]["securitySchemes"]["appToken"]

    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "`orders:read`" in scheme["description"]
    assert "`webhooks:manage`" in scheme["description"]


def test_an_operation_names_its_scope_per_method_and_offers_the_scheme(schema):
    orders = schema["paths"]["/api/v1/merchant/orders/"]["get"]
    products = schema["paths"]["/api/v1/merchant/products/"]

    assert orders["x-required-scope"] == "orders:read"
    assert {"appToken": []} in orders["security"]
    assert "403" in orders["responses"]
    assert products["get"]["x-required-scope"] == "catalog:read"
    assert products["post"]["x-required-scope"] == "catalog:write"


def test_an_operation_closed_to_app_tokens_does_not_offer_the_scheme(schema):
    cart = schema["paths"]["/api/v1/cart/"]["get"]

    assert "x-required-scope" not in cart
    assert {"appToken": []} not in cart.get("security", [])
    assert "403" in cart["responses"]
