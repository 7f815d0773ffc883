"""Stale writes refused: a draft is changed only by a client that read its latest state.

An item draft's ETag is its `updated_at` (every change of a draft stamps it); a reply draft's is
its `version`, the number the reply page posts back (replies.services.reply_save refuses another).
A write sends the ETag it read in If-Match, or the time in If-Unmodified-Since; with neither it
gets 428, with an old one 412 and nothing changes. The item check runs under the item's row lock,
so two clients holding the same ETag cannot both write."""

from __future__ import annotations

from datetime import datetime

from django.utils.http import parse_http_date_safe
from django.utils.translation import gettext as _
from rest_framework.request import Request

from proposals.models import Proposal
from replies.models import Reply

from .exceptions import PreconditionFailed, PreconditionRequired


def item_etag(item: Proposal) -> str:
    return f'"item-{item.pk}-{int(item.updated_at.timestamp() * 1_000_000)}"'


def reply_etag(reply: Reply) -> str:
    return f'"reply-{reply.pk}-v{reply.version}"'


def _etags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def _stale_message() -> str:
    return _(
        "这份草稿在您读取之后已被修改，您的修改没有保存，以免覆盖新的内容。请重新读取后再修改。"
    )


def require_fresh_item(request: Request, item: Proposal) -> None:
    """Refuse the write unless If-Match names the draft's current ETag, or If-Unmodified-Since
    is not older than its last change. Call it on the row `lock_proposal` returned."""
    if_match = request.headers.get("If-Match", "")
    since = request.headers.get("If-Unmodified-Since", "")
    if not if_match and not since:
        raise PreconditionRequired(
            _("修改草稿须带上读取时的 ETag（If-Match）或修改时间（If-Unmodified-Since）。")
        )
    if if_match:
        if "*" not in _etags(if_match) and item_etag(item) not in _etags(if_match):
            raise PreconditionFailed(_stale_message())
        return
    seconds = parse_http_date_safe(since)
    if seconds is None:
        raise PreconditionFailed(_("If-Unmodified-Since 不是有效的 HTTP 日期。"))
    if int(item.updated_at.timestamp()) > seconds:
        raise PreconditionFailed(_stale_message())


def reply_version_from(request: Request, reply: Reply) -> int:
    """The version the client read: from If-Match (the reply's ETag); the service compares it
    with the stored one and refuses a stale save with the page's own sentence (412 here)."""
    if_match = request.headers.get("If-Match", "")
    if not if_match:
        raise PreconditionRequired(_("保存答复须带上读取时的 ETag（If-Match）。"))
    prefix = f'"reply-{reply.pk}-v'
    for tag in _etags(if_match):
        if tag.startswith(prefix) and tag.endswith('"') and tag[len(prefix) : -1].isdigit():
            return int(tag[len(prefix) : -1])
    raise PreconditionFailed(_stale_message())


def http_date(moment: datetime) -> str:
    from django.utils.http import http_date as format_http_date

    return format_http_date(moment.timestamp())
