"""The business calendar the SLA clocks run on: working days and working hours in China.

A day is a working day by, in order: the staff-edited `CalendarDay` table, then the
chinesecalendar package (public holidays and make-up working days, 调休, for the years it
knows), then Monday–Friday. The last rule is a guess: `calendar_years_missing` names the
years that rely on it so the admin can warn staff before a 2027 holiday is counted as work.

Pure functions over a `BusinessCalendar` value; no database access here (the selector
`business_calendar()` builds one from the table and settings).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A loop guard: no SLA clock reaches this far.
MAX_DAYS = 3660


def package_knows_year(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def calendar_years_missing(years, *, overridden_years=()) -> list[int]:
    """Years among `years` that neither the package nor the staff table describes."""
    known = set(overridden_years)
    return sorted(y for y in set(years) if y not in known and not package_knows_year(y))


@dataclass(frozen=True)
class BusinessCalendar:
    overrides: dict[date, bool] = field(default_factory=dict)
    day_start: time = time(9, 0)
    day_end: time = time(18, 0)

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            return day.weekday() < 5

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        if not self.is_workday(day):
            return None
        return (
            datetime.combine(day, self.day_start, tzinfo=SHANGHAI),
            datetime.combine(day, self.day_end, tzinfo=SHANGHAI),
        )

    def add(self, start: datetime, minutes: int) -> datetime:
        """`start` plus `minutes` of working time (returned in Asia/Shanghai)."""
        current = start.astimezone(SHANGHAI)
        remaining = timedelta(minutes=minutes)
        for _ in range(MAX_DAYS):
            window = self._window(current.date())
            if window is not None:
                opens, closes = window
                current = max(current, opens)
                if current < closes:
                    available = closes - current
                    if remaining <= available:
                        return current + remaining
                    remaining -= available
            current = datetime.combine(current.date() + timedelta(days=1), time(0), SHANGHAI)
        raise ValueError("SLA clock beyond the calendar's range")

    def minutes_between(self, start: datetime, end: datetime) -> int:
        """Working minutes from `start` to `end` (0 if end is not after start)."""
        if end <= start:
            return 0
        start, end = start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)
        total = timedelta()
        day = start.date()
        while day <= end.date():
            window = self._window(day)
            if window is not None:
                opens, closes = max(window[0], start), min(window[1], end)
                if closes > opens:
                    total += closes - opens
            day += timedelta(days=1)
        return int(total.total_seconds() // 60)


def clock_add(calendar: BusinessCalendar, start: datetime, minutes: int, *, business: bool):
    """A due time `minutes` after `start`, on the business calendar or the wall clock."""
    if business:
        return calendar.add(start, minutes)
    return start + timedelta(minutes=minutes)


def clock_minutes(calendar: BusinessCalendar, start: datetime, end: datetime, *, business: bool):
    if business:
        return calendar.minutes_between(start, end)
    return max(0, int((end - start).total_seconds() // 60))
