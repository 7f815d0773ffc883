"""Date formats of the English pages (FORMAT_MODULE_PATH): "7 Dec 2026", "7 Dec 2026 14:03",
and the same ISO-like short forms as the Chinese pages (2026-12-07, 2026-12-07 14:03)."""

DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
