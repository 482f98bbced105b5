"""The API's token authentication (apps.core.authentication): DRF's answers, prepared query."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _orders_of(key: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(reverse("api-order-list"))


def test_a_token_signs_in_its_own_user_and_no_other():
    # given: two shoppers with a token each
    first, second = UserFactory(), UserFactory()
    first_token = Token.objects.create(user=first)
    second_token = Token.objects.create(user=second)

    # when: each calls the API with their own token
    answers = [_orders_of(first_token.key), _orders_of(second_token.key)]

    # then: both signed in (each run of the prepared query bound its own key)
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].wsgi_request.user == first
    assert answers[1].wsgi_request.user == second


def test_an_unknown_key_or_an_inactive_user_is_refused_with_401():
    user = UserFactory()
    token = Token.objects.create(user=user)

    unknown = _orders_of("0" * 40)
    user.is_active = False
    user.save(update_fields=["is_active"])
    inactive = _orders_of(token.key)

    assert unknown.status_code == 401
    assert unknown["WWW-Authenticate"] == "Token"
    assert inactive.status_code == 401
