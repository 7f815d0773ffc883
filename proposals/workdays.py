"""Working days: the official Chinese calendar (holidays and 调休 make-up days) from the
chinese_calendar library, overridden by the administrator's CalendarDay entries, which also
cover years the library does not know (then weekends are days off)."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
from dateutil.relativedelta import relativedelta


def _overrides(start: date, end: date) -> dict[date, bool]:
    from .models import CalendarDay

    return dict(
        CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "is_working_day")
    )


def _official_is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        # a year the library does not know yet: weekdays work unless the administrator said otherwise
        return day.weekday() < 5


def is_working_day(day: date) -> bool:
    override = _overrides(day, day).get(day)
    return override if override is not None else _official_is_working_day(day)


def add_working_days(start: date, count: int) -> date:
    """The date `count` working days after `start` (start itself not counted)."""
    if count <= 0:
        return start
    # Long holidays are at most ~10 days; read the overrides of a generous span once.
    horizon = start + timedelta(days=count * 3 + 30)
    overrides = _overrides(start, horizon)
    day = start
    remaining = count
    while remaining:
        day += timedelta(days=1)
        if day > horizon:
            horizon = day + timedelta(days=count * 3 + 30)
            overrides.update(_overrides(day, horizon))
        working = overrides.get(day)
        if working is None:
            working = _official_is_working_day(day)
        if working:
            remaining -= 1
    return day


def add_months(start: date, months: int) -> date:
    """Calendar months: 3 months from 31 March is 30 June."""
    return start + relativedelta(months=months)
