"""The SLA monitor through a real Celery worker on Redis (not the eager in-process mode the
rest of the suite uses): the task is sent to the broker, a worker thread picks it up, and the
breached case is escalated in the database the test reads."""

import time

import pytest
from django.conf import settings

from tests.customer_service.conftest import open_case

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def real_worker():
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (set REDIS_URL)")
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        app.conf.task_always_eager = True


def test_sla_monitor_runs_in_a_real_worker(shopper, real_worker):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from apps.customer_service.tasks import cases_escalate_breached_task

    case = open_case(shopper, priority="p1", now=datetime(2020, 1, 6, 9, tzinfo=ZoneInfo("UTC")))

    cases_escalate_breached_task.apply_async()

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        case.refresh_from_db()
        if case.escalation_level:
            break
        time.sleep(0.2)
    assert case.escalation_level == 3
    assert case.events.filter(kind="escalation").count() == 1
