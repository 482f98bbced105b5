"""Statement periods: calendar months in the site's time zone (Asia/Shanghai)."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.wholesale.errors import WholesaleErrorCode


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_bounds(period_start: dt.date) -> tuple[dt.datetime, dt.datetime, dt.date]:
    """[start, end) of a calendar month in the site's time zone, and its last day."""
    if period_start.day != 1:
        raise ApplicationError(
            _("账单周期必须从某月 1 日开始。"), code=WholesaleErrorCode.INVALID_PERIOD
        )
    zone = timezone.get_default_timezone()
    following = _next_month(period_start)
    start = dt.datetime.combine(period_start, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(following, dt.time.min, tzinfo=zone)
    return start, end, following - dt.timedelta(days=1)


def previous_month_start(now: dt.datetime | None = None) -> dt.date:
    """The first day of the month before `now` (site time): the period the job closes."""
    today = timezone.localdate(now or timezone.now())
    last_of_previous = today.replace(day=1) - dt.timedelta(days=1)
    return last_of_previous.replace(day=1)
