import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.settlement.models import LedgerEntry, SettlementStatement
from apps.settlement.periods import previous_period_start
from apps.settlement.selectors import statement_verify
from apps.settlement.tasks import settlement_statements_generate_task
from tests.settlement.conftest import sell

pytestmark = pytest.mark.django_db


def test_the_weekly_job_settles_the_week_that_has_just_ended(shopper, shop_a, monkeypatch):
    last_week = timezone.now() - dt.timedelta(days=7)
    monkeypatch.setattr(timezone, "now", lambda: last_week)
    old = sell(shopper, shop_a, [("9.99", 3)])
    monkeypatch.undo()
    new = sell(shopper, shop_a, [("10.00", 1)])

    made = settlement_statements_generate_task.delay().get()
    again = settlement_statements_generate_task.delay().get()

    statement = SettlementStatement.objects.get()
    assert (made, again) == (1, 0)
    assert statement.period_start == previous_period_start()
    assert statement.net_payable == Decimal("28.97")
    assert set(statement.entries.values_list("order", flat=True)) == {old.pk}
    assert LedgerEntry.objects.filter(order=new, statement__isnull=True).count() == 2
    assert statement_verify(statement=statement).is_consistent


def test_the_job_takes_a_period_as_an_iso_date(shopper, shop_a, monkeypatch):
    last_week = timezone.now() - dt.timedelta(days=7)
    monkeypatch.setattr(timezone, "now", lambda: last_week)
    sell(shopper, shop_a, [("9.99", 3)])
    monkeypatch.undo()
    period = previous_period_start()

    made = settlement_statements_generate_task.delay(period.isoformat()).get()

    assert made == 1
    assert SettlementStatement.objects.get().period_start == period
