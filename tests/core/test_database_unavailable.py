"""A database that cannot answer (connection refused or lost, a timeout) gives a 503 with
Retry-After: JSON for the API, the "系统繁忙" page for people; a real bug still gives a 500."""

import pytest
from django.db import IntegrityError, OperationalError, connection
from django.test import Client, RequestFactory

from apps.core.views import server_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_gone(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    # every query goes through ensure_connection: the real path up to the socket
    monkeypatch.setattr(connection, "ensure_connection", refuse)


def test_a_page_answers_the_busy_page_with_retry_after(client, database_gone, caplog):
    response = client.get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert "系统繁忙，请稍后再试" in response.content.decode()
    assert "database unavailable for GET /" in caplog.text


def test_the_api_answers_its_error_body_with_retry_after(client, database_gone):
    response = client.get("/api/v1/products/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "code": "unavailable",
        "message": "系统繁忙，请稍后再试。",
        "fields": {},
    }


@pytest.mark.parametrize(("path", "json"), [("/orders/", False), ("/api/v1/orders/", True)])
def test_errors_outside_views_reach_the_500_handler_which_answers_503(path, json):
    request = RequestFactory().get(path)
    try:
        raise OperationalError("terminating connection due to administrator command")
    except OperationalError:
        response = server_error(request)

    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert ("unavailable" in response.content.decode()) is json


def test_a_bug_is_still_a_500(monkeypatch):
    def broken(*args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    client = Client(raise_request_exception=False)
    monkeypatch.setattr(connection, "ensure_connection", broken)

    response = client.get("/")

    assert response.status_code == 500
    assert "Retry-After" not in response
