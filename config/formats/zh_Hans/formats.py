"""Date formats of the Chinese pages (FORMAT_MODULE_PATH): Django's zh_Hans formats, except
that the short forms are the ISO-like dates the pages have always shown (2026-12-07,
2026-12-07 14:03) rather than Django's 2026/12/07. Letters, 文号 and exports do not use these."""

DATE_FORMAT = "Y年n月j日"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y年n月j日 H:i"
YEAR_MONTH_FORMAT = "Y年n月"
MONTH_DAY_FORMAT = "n月j日"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
