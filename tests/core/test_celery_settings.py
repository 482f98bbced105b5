"""Celery's settings fit the work: a task whose worker died comes back before any deadline
that depends on it, and never while it may still be running."""

import pytest

from config.celery import app


def test_a_lost_task_returns_after_its_time_limit_and_before_the_payment_timeout(settings):
    visibility = app.conf.broker_transport_options["visibility_timeout"]

    assert app.conf.task_soft_time_limit < app.conf.task_time_limit < visibility
    assert visibility < settings.ORDER_PAYMENT_TIMEOUT_MINUTES * 60


def test_tasks_are_acknowledged_late_and_requeued_when_their_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_publishing_tries_a_dead_broker_once():
    assert app.conf.broker_transport_options["max_retries"] == 0
    assert app.conf.broker_connection_timeout <= 2


@pytest.mark.django_db  # importing the tasks runs Django's model checks, which ask the database
# its version (a generated column's check): allowed here, not left to an earlier test's luck
def test_every_task_says_why_it_is_idempotent():
    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if name.startswith("apps.")}

    assert len(ours) >= 10
    assert [name for name, task in ours.items() if "Idempotent" not in (task.__doc__ or "")] == []
