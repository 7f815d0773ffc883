"""Cursor pagination: a stable order by id, newest first, so that a page never repeats or skips
a row while items are being added (what offset pages would do in the submission week)."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    cursor_query_description = "分页游标，取自上一页的 next / previous 链接 / The pagination cursor, from the previous page's next or previous link."
    page_size_query_description = "每页条数（最多100） / Rows per page (at most 100)."
