"""The jobs as Celery tasks: eagerly, through a real worker against Redis, on the beat
schedule, and by hand with analytics_rebuild."""

import datetime as dt
import os
import time
from decimal import Decimal

import pytest
from django.core.management import call_command

from apps.analytics.models import JobRun, PriceDaily, PriceObservation
from apps.analytics.tasks import prices_aggregate_task, sales_aggregate_task
from config.celery import app, build_beat_schedule

pytestmark = pytest.mark.postgres

D = dt.date(2024, 3, 1)


def _quote(markets, commodities, avg="2.00"):
    PriceObservation.objects.create(
        market=markets["xinfadi"],
        commodity=commodities["土豆"],
        date=D,
        low_price=Decimal(avg),
        avg_price=Decimal(avg),
        high_price=Decimal(avg),
        source_unit="元/公斤",
    )


def test_the_tasks_run_the_jobs_and_return_their_run(quote_setup):
    _quote(*quote_setup)

    run_id = prices_aggregate_task.delay().get()
    sales_id = sales_aggregate_task.delay(full=True).get()

    run = JobRun.objects.get(pk=run_id)
    # 4 daily rows (market, county, province, nation) + 4 × (week, 旬, month)
    assert (run.job, run.status, run.rows) == ("prices_daily", JobRun.Status.SUCCEEDED, 16)
    assert JobRun.objects.get(pk=sales_id).is_full
    assert PriceDaily.objects.filter(date=D).count() == 4  # market, county, province, nation


def test_both_jobs_are_on_the_beat_schedule_and_can_be_turned_off(settings):
    schedule = build_beat_schedule(settings.PERIODIC_TASKS)
    assert schedule["analytics-prices"]["task"] == "apps.analytics.tasks.prices_aggregate_task"
    assert schedule["analytics-sales"]["schedule"] == 900.0

    periodic = {**settings.PERIODIC_TASKS}
    periodic["analytics-sales"] = {**periodic["analytics-sales"], "enabled": False}
    assert "analytics-sales" not in build_beat_schedule(periodic)


def test_analytics_rebuild_runs_the_jobs_by_hand(quote_setup, capsys):
    _quote(*quote_setup)

    call_command("analytics_rebuild", "--full")

    out = capsys.readouterr().out
    assert "prices: 16 rows from 2024-03-01" in out
    assert "sales: 0 rows from -" in out
    assert "demand: 0 rows from -" in out
    assert "forecast: 0 rows" in out
    assert JobRun.objects.filter(is_full=True, status=JobRun.Status.SUCCEEDED).count() == 4


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (set REDIS_URL)")
@pytest.mark.django_db(transaction=True)
def test_the_price_job_runs_on_a_real_worker_through_redis(quote_setup, settings):
    """Sent through the Redis broker to an in-process worker thread, not run eagerly."""
    from celery.contrib.testing.worker import start_worker

    _quote(*quote_setup)
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            # No result backend (the site needs none): wait for the run the worker records.
            prices_aggregate_task.apply_async(kwargs={"full": True})
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                run = JobRun.objects.filter(status=JobRun.Status.SUCCEEDED).first()
                if run:
                    break
                time.sleep(0.2)
    finally:
        app.conf.task_always_eager = True
    assert run is not None
    assert run.is_full
    assert PriceDaily.objects.get(scope="national", date=D).avg_price == Decimal("2.00")
