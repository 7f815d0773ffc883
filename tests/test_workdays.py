"""Working days on the official calendar, with the administrator's own entries."""

from __future__ import annotations

from datetime import date

import pytest

from proposals import workdays
from proposals.models import CalendarDay


@pytest.mark.django_db
class TestWorkingDays:
    def test_national_day_2025_and_its_make_up_sunday(self):
        # 2025-09-26 is a Friday. 9-27 (Sat) is off, 9-28 (Sun) is a make-up working day,
        # 10-1 … 10-8 are the holiday, 10-11 (Sat) is a make-up working day.
        assert workdays.add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)
        assert workdays.add_working_days(date(2025, 9, 26), 3) == date(2025, 9, 30)
        assert workdays.add_working_days(date(2025, 9, 26), 4) == date(2025, 10, 9)
        assert workdays.add_working_days(date(2025, 9, 26), 5) == date(2025, 10, 10)
        assert workdays.add_working_days(date(2025, 9, 26), 6) == date(2025, 10, 11)

    def test_is_working_day(self):
        assert workdays.is_working_day(date(2025, 9, 28))  # a Sunday worked for the holiday
        assert not workdays.is_working_day(date(2025, 10, 6))  # a Monday inside the holiday
        assert not workdays.is_working_day(date(2025, 9, 27))  # an ordinary Saturday

    def test_an_administrator_entered_holiday_moves_the_window(self):
        before = workdays.add_working_days(date(2025, 11, 10), 5)
        assert before == date(2025, 11, 17)
        CalendarDay.objects.create(date=date(2025, 11, 12), is_working_day=False, name="本地假日")
        assert workdays.add_working_days(date(2025, 11, 10), 5) == date(2025, 11, 18)

    def test_an_administrator_entered_make_up_day_counts(self):
        CalendarDay.objects.create(date=date(2025, 11, 15), is_working_day=True, name="调休上班")
        assert workdays.add_working_days(date(2025, 11, 14), 1) == date(2025, 11, 15)

    def test_a_year_the_library_does_not_know_uses_weekdays_and_entries(self):
        # 2031 is past the library's data: Monday 2031-01-06 + 5 working days, weekend skipped
        assert workdays.add_working_days(date(2031, 1, 3), 5) == date(2031, 1, 10)
        CalendarDay.objects.create(date=date(2031, 1, 6), is_working_day=False, name="元旦调休")
        assert workdays.add_working_days(date(2031, 1, 3), 5) == date(2031, 1, 13)

    def test_calendar_months(self):
        assert workdays.add_months(date(2026, 3, 31), 3) == date(2026, 6, 30)
        assert workdays.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
