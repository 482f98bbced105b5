"""Settlement periods: SETTLEMENT_PERIOD_DAYS-long runs of Asia/Shanghai dates.

Periods are counted from SETTLEMENT_PERIOD_ANCHOR (default 2024-01-01, a Monday), so the default
7 days gives Monday–Sunday weeks and every date belongs to exactly one period.
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.settlement.errors import SettlementErrorCode


def period_days() -> int:
    days = int(getattr(settings, "SETTLEMENT_PERIOD_DAYS", 7))
    if days < 1:
        raise ValueError("SETTLEMENT_PERIOD_DAYS must be at least 1")
    return days


def period_anchor() -> dt.date:
    anchor = getattr(settings, "SETTLEMENT_PERIOD_ANCHOR", "2024-01-01")
    return anchor if isinstance(anchor, dt.date) else dt.date.fromisoformat(str(anchor))


def period_containing(day: dt.date) -> tuple[dt.date, dt.date]:
    """(first day, last day) of the period that `day` falls in."""
    days = period_days()
    offset = (day - period_anchor()).days // days  # floor: dates before the anchor work too
    start = period_anchor() + dt.timedelta(days=offset * days)
    return start, start + dt.timedelta(days=days - 1)


def period_bounds(period_start: dt.date) -> tuple[dt.datetime, dt.datetime, dt.date]:
    """[start, end) of the period beginning on `period_start`, as aware datetimes in the site's
    time zone, and its last day. Refuses a date that does not begin a period."""
    start_day, last_day = period_containing(period_start)
    if start_day != period_start:
        raise ApplicationError(
            _("%(day)s 不是结算周期的第一天（应为 %(start)s）。")
            % {"day": period_start.isoformat(), "start": start_day.isoformat()},
            code=SettlementErrorCode.INVALID_PERIOD,
        )
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(start_day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end, last_day


def previous_period_start(now: dt.datetime | None = None) -> dt.date:
    """The first day of the last period that has ended by `now` (site time)."""
    current_start, _last = period_containing(timezone.localdate(now or timezone.now()))
    return current_start - dt.timedelta(days=period_days())
