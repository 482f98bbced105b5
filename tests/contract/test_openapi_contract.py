"""The API keeps its OpenAPI schema: schemathesis generates requests from /api/schema/ for every
operation and checks that none answers 5xx and every answer (status, content type, body) is
one the schema documents. Anonymous, as a shopper, as a merchant and as a third-party app (a
store app's token with every scope, acting as the merchant), through the WSGI app.

Examples per operation are bounded (CONTRACT_EXAMPLES, default 3) to keep the run short; set
it higher locally to search harder.
"""

import os
import sys
import time

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.factories import CategoryFactory, ProductFactory

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ENVIRON = {"REMOTE_ADDR": "127.0.0.1"}
EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "3"))
# Generous rates: this test is about the schema, tests/core/test_throttling.py about limits.
RATES = {
    "anon": "100000/m",
    "user": "100000/m",
    "search": "100000/m",
    "checkout": "100000/m",
    "auth_token": "100000/m",
    "payment_notify": "100000/m",
    "webhook": "100000/m",
    "app_token": "100000/m",
}


@pytest.fixture
def api_schema(db, settings, store_a, merchant_a):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": RATES}
    settings.ALLOWED_HOSTS = ["*"]
    category = CategoryFactory(name="大米", slug="rice")
    ProductFactory(
        store=store_a,
        category=category,
        title="五常稻花香大米 5kg",
        skus=[{"spec": "5kg/袋", "price": "59.90", "stock": 100}],
    )
    # As Django's test client does: the WSGI handler must not close the test's connection
    # (and its transaction) at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _token(user) -> dict[str, str]:
    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def _problems(schema, headers: dict[str, str]) -> list[str]:
    """Every operation's failures, so one run lists all of them (not only the first)."""
    problems = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @SETTINGS
        @given(case=operation.as_strategy())
        def check(case):
            # Werkzeug's client sends no REMOTE_ADDR; a real server always does.
            case.call_and_validate(headers=headers, checks=CHECKS, environ_base=ENVIRON)

        started = time.monotonic()
        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:
            problems.append(f"{operation.label}: {str(exc)[:1500]}")
        if os.environ.get("CONTRACT_TIMING"):
            print(f"{time.monotonic() - started:6.2f}s {operation.label}", file=sys.stderr)
    return problems


def test_anonymous_calls_keep_the_schema(api_schema):
    problems = _problems(api_schema, {})
    assert not problems, "\n\n".join(problems)


def test_shopper_calls_keep_the_schema(api_schema, shopper):
    problems = _problems(api_schema, _token(shopper))
    assert not problems, "\n\n".join(problems)


def test_app_token_calls_keep_the_schema(api_schema, store_a, merchant_a):
    from apps.open_platform.scopes import Scope
    from apps.open_platform.services.tokens import app_register, app_token_issue

    app = app_register(
        actor=merchant_a, name="ERP", store=store_a, acting_user=merchant_a, contact_name="李工"
    )
    _token, raw = app_token_issue(actor=merchant_a, app=app, name="契约", scopes=Scope.values)
    problems = _problems(api_schema, {"Authorization": f"Bearer {raw}"})
    assert not problems, "\n\n".join(problems)


def test_merchant_calls_keep_the_schema(api_schema, merchant_a):
    problems = _problems(api_schema, _token(merchant_a))
    assert not problems, "\n\n".join(problems)
