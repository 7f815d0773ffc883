"""The meeting's 汇编 as one PDF: a cover, a table of contents with page numbers, and every
registered item (number, title, members, text) followed by its sent replies, in the letters' fonts
(replies/letters.py: 仿宋_GB2312 and 方正小标宋 from LETTER_FONT_DIR, else Noto Serif CJK), with a
bookmark per item and its replies nested under it and the page number in every page's foot.

Speed: WeasyPrint lays out one huge document slowly and keeps every page in memory, so the body is
rendered in chunks of CHUNK_ITEMS items, each a document of its own whose first page number is
set (`@page :first { counter-reset: page N }`) to follow the previous chunk. The pages on which
the items' headings fall are read from the laid-out pages (their anchors), so the table of
contents, rendered last with those numbers, and the body agree. pypdf joins the front matter and
the chunks, with their bookmarks. The front matter (cover, contents) is numbered apart (i, ii …),
as books are, so that its length never moves the body's numbers.

What each edition holds (`book_entries`): 公开版 the items and replies the portal discloses
(replies.public.published), 内部版 every registered item and every sent reply. In both, texts pass
through replies.redact.redact_text with the signers' phone numbers and addresses (so neither
edition prints a member's contact details, wherever they were typed), and members are named only.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import nh3
from django.conf import settings
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from proposals.models import CoSigner, CoSignerStatus, Meeting, Proposal, ProposalStatus
from replies.models import Reply, ReplyStatus
from replies.public import public_copy, published
from replies.redact import redact_text
from replies.text import ALLOWED_TAGS, TABLE_ATTRIBUTES, TABLE_TAGS

from .models import Edition

CHUNK_ITEMS = 50  # items per WeasyPrint document of the body

# 立案 and every step after it (撤案 and the review's other outcomes are not in the book)
REGISTERED_STATUSES = (
    ProposalStatus.REGISTERED,
    ProposalStatus.ASSIGNED,
    ProposalStatus.REPLIED,
    ProposalStatus.EVALUATED,
    ProposalStatus.CLOSED,
)


@dataclass
class BookReply:
    pk: int
    unit: str
    document_number: str
    title: str
    salutation: str
    opening: str
    body: SafeString
    thanks: str
    signing_unit: str
    signed_on: date | None


@dataclass
class BookItem:
    pk: int
    number: str
    title: str
    kind: str
    lead: str
    cosigners: list[str]
    sections: list[dict[str, Any]]
    replies: list[BookReply] = field(default_factory=list)
    page: int = 0  # the body page its heading is on, once laid out

    @property
    def anchor(self) -> str:
        return f"item-{self.pk}"


def item_queryset(meeting: Meeting) -> QuerySet[Proposal]:
    return (
        Proposal.objects.filter(meeting=meeting, status__in=REGISTERED_STATUSES)
        .select_related("lead")
        .defer("search_vector")
        .order_by("kind", "number_prefix", "number", "pk")
    )


def reply_queryset(meeting: Meeting, edition: str) -> QuerySet[Reply]:
    replies = published() if edition == Edition.PUBLIC else Reply.objects.all()
    return (
        replies.filter(proposal__meeting=meeting, status=ReplyStatus.SENT)
        .select_related("unit")
        .defer("search_vector")
        .order_by("sent_at", "pk")
    )


def entries_queryset(meeting: Meeting, edition: str) -> QuerySet[Proposal]:
    """The items of the edition: 公开版 only those with a reply on the portal."""
    items = item_queryset(meeting)
    if edition == Edition.PUBLIC:
        items = items.filter(pk__in=reply_queryset(meeting, edition).values("proposal_id"))
    return items


def _signers(item_ids: Sequence[int]) -> dict[int, list[tuple[str, str, str]]]:
    """Each item's confirmed co-signers: (name, phone, address), in the order they were asked."""
    rows = (
        CoSigner.objects.filter(proposal_id__in=item_ids, status=CoSignerStatus.CONFIRMED)
        .order_by("pk")
        .values_list(
            "proposal_id",
            "member__full_name",
            "member__username",
            "member__member_profile__phone",
            "member__member_profile__address",
        )
    )
    found: dict[int, list[tuple[str, str, str]]] = {pk: [] for pk in item_ids}
    for item, name, username, phone, address in rows:
        found[item].append((name or username, phone or "", address or ""))
    return found


def _lead_details(item_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    rows = Proposal.objects.filter(pk__in=item_ids).values_list(
        "pk", "lead__member_profile__phone", "lead__member_profile__address"
    )
    return {pk: (phone or "", address or "") for pk, phone, address in rows}


def _private(values: Sequence[str]) -> list[str]:
    # as replies.public: values shorter than 5 characters would hide ordinary words
    return [value for value in values if value and len(value) >= 5]


def _clean_body(html: str) -> SafeString:
    """The reply's body (stored cleaned) cleaned once more to the body's own HTML subset."""
    return mark_safe(
        nh3.clean(
            html or "",
            tags=ALLOWED_TAGS | TABLE_TAGS,
            attributes=TABLE_ATTRIBUTES,
            strip_comments=True,
            link_rel=None,
        )
    )


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def book_entries(meeting: Meeting, edition: str, items: Sequence[Proposal]) -> list[BookItem]:
    """`items` (of entries_queryset) with their replies of the edition, members' contact details
    hidden in every text."""
    ids = [item.pk for item in items]
    signers = _signers(ids)
    leads = _lead_details(ids)
    replies: dict[int, list[Reply]] = {pk: [] for pk in ids}
    for reply in reply_queryset(meeting, edition).filter(proposal_id__in=ids):
        replies[reply.proposal_id].append(reply)
    entries = []
    for item in items:
        private = _private([*leads[item.pk], *(v for s in signers[item.pk] for v in s[1:])])
        parts = item.text_sections or [{"label": "", "text": item.body}]
        sections = [
            {
                "label": part.get("label", ""),
                "paragraphs": _paragraphs(redact_text(part.get("text") or "", private)),
            }
            for part in parts
        ]
        entry = BookItem(
            pk=item.pk,
            number=item.number_label,
            title=redact_text(item.title, private),
            kind=item.get_kind_display(),
            lead=item.lead.get_full_name(),
            cosigners=[name for name, _phone, _address in signers[item.pk]],
            sections=sections,
        )
        for reply in replies[item.pk]:
            reply.proposal = item  # public_copy reads nothing else of it with `private` given
            public = public_copy(reply, private)
            entry.replies.append(
                BookReply(
                    pk=reply.pk,
                    unit=reply.unit.name,
                    document_number=reply.document_number,
                    title=public.title,
                    salutation=public.salutation,
                    opening=public.opening,
                    body=_clean_body(public.body_html),
                    thanks=public.thanks,
                    signing_unit=reply.signing_unit,
                    signed_on=reply.signed_on,
                )
            )
        entries.append(entry)
    return entries


# --- rendering ---------------------------------------------------------------------------------


def _base_url() -> str:
    return Path(settings.STATICFILES_DIRS[0]).resolve().as_uri() + "/"


def book_stylesheets() -> list[Any]:
    from replies import fonts as reduced

    return [_stylesheet(reduced.font_configuration())]


@lru_cache(maxsize=4)
def _stylesheet(font_config: Any) -> Any:
    """book.css with the letters' fonts, parsed once per process and font configuration."""
    from weasyprint import CSS

    from replies.letters import fonts_context, letter_fonts, safe_url_fetcher

    css = render_to_string("compilation/book.css", fonts_context(letter_fonts()))
    return CSS(
        string=css, base_url=_base_url(), url_fetcher=safe_url_fetcher(), font_config=font_config
    )


def _render(template: str, context: dict[str, Any]) -> Any:
    from replies.letters import render_document

    with translation.override(settings.LANGUAGE_CODE):  # an official text in Chinese
        document_html = render_to_string(template, context)
    return render_document(document_html, stylesheets=book_stylesheets())


def _chunks(items: Sequence[Proposal], size: int) -> Iterator[Sequence[Proposal]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def book_title(meeting: Meeting) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        kind = "代表建议" if meeting.item_kind == "suggestion" else "委员提案"
    return f"{meeting.name}{kind}及答复汇编"


@dataclass
class Book:
    pages: int
    front_pages: int
    items: list[BookItem]


def write_book(
    meeting: Meeting,
    edition: str,
    target: IO[bytes],
    *,
    progress: Callable[[int, int], None] | None = None,
    chunk_items: int = CHUNK_ITEMS,
    today: date | None = None,
    limit: int | None = None,
) -> Book:
    """Write the book to `target`; `progress(done, total)` after each chunk of items. `limit`:
    the first so many items only (the benchmark)."""
    from pypdf import PdfReader, PdfWriter

    items = list(entries_queryset(meeting, edition)[:limit])
    total = len(items)
    if progress is not None:
        progress(0, total)
    laid_out: list[BookItem] = []
    with tempfile.TemporaryDirectory(prefix="compilation-") as folder:
        chunk_files: list[Path] = []
        page = 1
        for number, chunk in enumerate(_chunks(items, chunk_items)):
            entries = book_entries(meeting, edition, chunk)
            document = _render("compilation/book_body.html", {"items": entries, "first_page": page})
            where = {
                anchor: index
                for index, laid in enumerate(document.pages)
                for anchor in laid.anchors
            }
            for entry in entries:
                entry.page = page + where.get(entry.anchor, 0)
                entry.replies = []  # only the headings are needed from here on
            path = Path(folder) / f"body-{number:05d}.pdf"
            document.write_pdf(path)
            chunk_files.append(path)
            page += len(document.pages)
            laid_out += entries
            del document
            if progress is not None:
                progress(len(laid_out), total)
        front = _render(
            "compilation/book_front.html",
            {
                "title": book_title(meeting),
                "meeting": meeting,
                "edition": Edition(edition).label,
                "edition_code": edition,
                "today": today or timezone.localdate(),
                "items": laid_out,
            },
        )
        front_pages = len(front.pages)
        writer = PdfWriter()
        writer.append(PdfReader(io.BytesIO(front.write_pdf())))
        del front
        for path in chunk_files:
            writer.append(PdfReader(path))
        writer.add_metadata({"/Title": book_title(meeting), "/Creator": "建议提案办理系统"})
        writer.page_mode = "/UseOutlines"
        writer.write(target)
    return Book(pages=front_pages + page - 1, front_pages=front_pages, items=laid_out)
