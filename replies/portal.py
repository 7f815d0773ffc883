"""The public portal (no login): disclosed replies by year, meeting, body, unit and category,
with full-text search, a stable page per reply, its letter, a sitemap and an Atom feed. Nothing
unpublished leaks: not a title, not a count, not a search hit, not a file."""

from __future__ import annotations

import logging
from typing import Any

import django_filters
from django import forms
from django.contrib.sitemaps import Sitemap
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Body, Unit
from proposals import search
from proposals.files import stored_file_response
from proposals.models import Category, Meeting
from proposals.views.common import paginate

from .models import Letter, LetterStatus, Reply
from .public import (
    _private_values,
    differs,
    private_values_of,
    public_copy,
    public_digest,
    public_item_text,
    published,
)
from .redact import redact_text
from .text import body_text

logger = logging.getLogger(__name__)
# a stale public letter is queued for rendering again at most this often (a reader asking for
# it again and again must not fill the queue)
LETTER_REFRESH_SECONDS = 600

# what the portal's search matches: the stored public text (members' details hidden)
SEARCH_FIELDS = ("public_text",)


def _portal_queryset() -> QuerySet[Reply]:
    return (
        published()
        .select_related("proposal", "proposal__meeting", "proposal__category__parent", "unit")
        .defer("proposal__search_vector")  # ~6 KB a row, for SQL only
    )


class PortalFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("关键词"), method="filter_text")
    year = django_filters.NumberFilter(
        label=gettext_lazy("年度"), field_name="proposal__meeting__year"
    )
    body = django_filters.ChoiceFilter(
        label=gettext_lazy("类型"), field_name="proposal__meeting__body", choices=Body.choices
    )
    meeting = django_filters.ModelChoiceFilter(
        label=gettext_lazy("届次会议"),
        field_name="proposal__meeting",
        queryset=Meeting.objects.none(),
    )
    unit = django_filters.ModelChoiceFilter(
        label=gettext_lazy("答复单位"), queryset=Unit.objects.none()
    )
    category = django_filters.ModelChoiceFilter(
        label=gettext_lazy("类别"),
        field_name="proposal__category",
        queryset=Category.objects.none(),
    )

    class Meta:
        model = Reply
        fields = ["q", "year", "body", "meeting", "unit", "category"]

    def __init__(
        self, data: Any = None, queryset: QuerySet[Reply] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(data, queryset, **kwargs)
        base = self.queryset
        # dropdowns offer only what is published: per meeting, unit or category "is there a
        # published reply" (a few index probes, not a pass over every published reply)
        self.filters["meeting"].queryset = Meeting.objects.filter(
            Exists(base.filter(proposal__meeting=OuterRef("pk")))
        )
        self.filters["unit"].queryset = Unit.objects.filter(
            Exists(base.filter(unit=OuterRef("pk")))
        )
        self.filters["category"].queryset = Category.objects.filter(
            Exists(base.filter(proposal__category=OuterRef("pk")))
        ).select_related("parent")
        self.filters["year"].field.widget = forms.NumberInput(attrs={"min": 2000, "max": 2100})

    def filter_text(self, queryset: QuerySet[Reply], name: str, value: str) -> QuerySet[Reply]:
        # the stored public text (members' details hidden), never the text as written: a
        # search must not find what the page hides
        return search.search(queryset, value, SEARCH_FIELDS)


def portal_index(request: HttpRequest) -> HttpResponse:
    portal_filter = PortalFilter(
        request.GET, queryset=_portal_queryset().order_by("-publish_on", "-pk")
    )
    page = paginate(request, portal_filter.qs)
    query = (request.GET.get("q") or "").strip()
    rows = []
    private = private_values_of(page.object_list)
    for reply in page.object_list:
        shown = ("title", "body_html") if query else ("title",)
        public = public_copy(reply, private[reply.proposal_id], fields=shown)
        rows.append(
            {
                "reply": public,
                "snippet": search.highlight(body_text(public.body_html), query) if query else "",
            }
        )
    return render(
        request,
        "portal/index.html",
        {
            "filter": portal_filter,
            "page": page,
            "rows": rows,
            "query": query,
            "capped": search.MAX_RANKED if search.capped(page.object_list) else 0,
            "title": _("建议提案答复公开"),
        },
    )


def _published_or_404(pk: int) -> Reply:
    reply = _portal_queryset().filter(pk=pk).first()
    if reply is None:
        raise Http404(_("没有找到这份公开的答复。"))
    return reply


def portal_reply(request: HttpRequest, pk: int) -> HttpResponse:
    reply = _published_or_404(pk)
    letter = getattr(reply, "letter", None)
    private = _private_values(reply)
    public = public_copy(reply, private)
    return render(
        request,
        "portal/reply.html",
        {
            "reply": public,
            "item_title": redact_text(reply.proposal.title, private),
            "item_text": public_item_text(reply, private),
            "letter_ready": letter is not None and letter.status == LetterStatus.READY,
            "title": public.title,
        },
    )


def portal_letter(request: HttpRequest, pk: int) -> FileResponse:
    reply = _published_or_404(pk)
    letter = getattr(reply, "letter", None)
    if letter is None or letter.status != LetterStatus.READY:
        raise Http404(_("答复函还在生成，请稍后再下载。"))
    public = public_copy(reply)
    stored = _public_letter_file(reply, public, letter)
    if stored is None:
        raise Http404(_("答复函还在生成，请稍后再下载。"))
    return stored_file_response(
        stored, as_attachment=False, filename=f"{public.title}.pdf", content_type="application/pdf"
    )


def _public_letter_file(reply: Reply, public: Reply, letter: Letter) -> FieldFile | None:
    """The letter the public may download: the official one when it hides nothing; else the
    public copy, if it was rendered from the texts as they are hidden now. A copy rendered from
    other texts (before a spelling was hidden, or a member's details changed) is never served:
    it is rendered again in the background (once per LETTER_REFRESH_SECONDS), meanwhile None."""
    if not differs(reply, public):
        return letter.file
    digest = public_digest(public)
    if letter.public_file and letter.public_digest == digest:
        return letter.public_file
    if cache.add(f"portal:public-letter:{letter.pk}", True, timeout=LETTER_REFRESH_SECONDS):
        from .tasks import render_public_letter_task  # the PDF renderer loads only when needed

        try:
            render_public_letter_task.delay(letter.pk)
        except Exception:  # broker down: asked again after LETTER_REFRESH_SECONDS
            logger.warning("could not queue public letter %s", letter.pk, exc_info=True)
        letter.refresh_from_db()  # the embedded run renders it at once
        if letter.public_file and letter.public_digest == digest:
            return letter.public_file
    return None


class ReplySitemap(Sitemap):
    changefreq = "monthly"
    limit = 5000

    def items(self) -> QuerySet[Reply]:
        return published().order_by("pk")

    def location(self, item: Reply) -> str:
        return reverse("portal:reply", args=[item.pk])

    def lastmod(self, item: Reply) -> Any:
        return item.sent_at


class NewRepliesFeed(Feed):
    feed_type = Atom1Feed
    title = gettext_lazy("建议提案答复公开")
    subtitle = gettext_lazy("新公开的答复")

    def link(self) -> str:
        return reverse("portal:index")

    def items(self) -> list[Reply]:
        """The public copies of the newest 50 (contact details hidden)."""
        replies = list(_portal_queryset().order_by("-publish_on", "-pk")[:50])
        private = private_values_of(replies)
        return [public_copy(reply, private[reply.proposal_id]) for reply in replies]

    def item_title(self, item: Reply) -> str:
        return item.title

    def item_description(self, item: Reply) -> str:
        return body_text(item.body_html)[:300]

    def item_link(self, item: Reply) -> str:
        return reverse("portal:reply", args=[item.pk])

    def item_pubdate(self, item: Reply) -> Any:
        return item.sent_at
