"""What the public may see of a reply: published replies only, with members' phone numbers and
addresses taken out (by replies.redact.redact_text, the one function every public surface uses:
the portal's pages and feed, the public letter, the stored search text and the search index)."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from proposals.services.common import signers

from .models import Disclosure, Reply, ReplyStatus
from .redact import redact_text
from .text import body_text

PUBLIC_TEXT_FIELDS = ("salutation", "opening", "body_html", "thanks", "cc", "title")


def published(today: date | None = None) -> QuerySet[Reply]:
    """Replies on the portal: sent, 同意公开, and past the policy's delay."""
    return Reply.objects.filter(
        status=ReplyStatus.SENT,
        disclosure=Disclosure.PUBLIC,
        publish_on__isnull=False,
        publish_on__lte=today or timezone.localdate(),
    )


def _private_values(reply: Reply) -> list[str]:
    values = []
    for person in signers(reply.proposal):
        profile = getattr(person, "member_profile", None)
        if profile is not None:
            values += [
                value for value in (profile.phone, profile.address) if value and len(value) >= 5
            ]
    return values


def private_values_of(replies: Iterable[Reply]) -> dict[int, list[str]]:
    """`_private_values` of many replies in two queries (the portal's list and feed), by item:
    the phone numbers and addresses of each item's lead and confirmed co-signers."""
    from proposals.models import CoSigner, CoSignerStatus, Proposal

    items = {reply.proposal_id for reply in replies}
    rows = list(
        Proposal.objects.filter(pk__in=items).values_list(
            "pk", "lead__member_profile__phone", "lead__member_profile__address"
        )
    )
    rows += (
        CoSigner.objects.filter(proposal_id__in=items, status=CoSignerStatus.CONFIRMED)
        .order_by("pk")
        .values_list(
            "proposal_id", "member__member_profile__phone", "member__member_profile__address"
        )
    )
    values: dict[int, list[str]] = {item: [] for item in items}
    for item, phone, address in rows:
        values[item] += [value for value in (phone, address) if value and len(value) >= 5]
    return values


def public_copy(
    reply: Reply, private: list[str] | None = None, fields: tuple[str, ...] = PUBLIC_TEXT_FIELDS
) -> Reply:
    """An unsaved copy of the reply with private contact details hidden (the unit's own contact
    line stays: it is the unit's, not a member's). `private`: the values to hide, when already
    looked up with `private_values_of`. `fields`: the texts a page shows (the portal's list: the
    title, and the body for a snippet); the copy's other texts are left empty, never unhidden."""
    if private is None:
        private = _private_values(reply)
    public = copy.copy(reply)
    for field in PUBLIC_TEXT_FIELDS:
        text = redact_text(getattr(reply, field) or "", private) if field in fields else ""
        setattr(public, field, text)
    return public


def differs(reply: Reply, public: Any) -> bool:
    return any(getattr(reply, f) != getattr(public, f) for f in PUBLIC_TEXT_FIELDS)


def public_digest(public: Any) -> str:
    """The fingerprint of a public copy's texts (Letter.public_digest): a public letter rendered
    from other texts (a member's details changed since, a spelling hidden only now) is stale."""
    joined = "\x1f".join(getattr(public, field) or "" for field in PUBLIC_TEXT_FIELDS)
    return hashlib.sha256(joined.encode()).hexdigest()


def public_item_text(reply: Reply, private: list[str] | None = None) -> list[dict[str, str]]:
    """The item's text as the portal shows it under the reply: each section with its label
    (proposals.sections), or its one text with no label; members' numbers hidden."""
    if private is None:
        private = _private_values(reply)
    item = reply.proposal
    parts = item.text_sections or [{"label": "", "text": item.body}]
    return [
        {"label": part["label"], "text": redact_text(part["text"] or "", private)} for part in parts
    ]


def public_search_text(reply: Reply, private: list[str] | None = None) -> tuple[str, str]:
    """The reply's title and text as the public reads them, for the search index and the stored
    search text (Reply.public_text): the title, opening, body, thanks and the unit's name,
    members' details hidden."""
    if private is None:
        private = _private_values(reply)
    return search_text_of(
        reply.title, reply.opening, reply.body_html, reply.thanks, reply.unit.name, private
    )


def search_text_of(
    title: str, opening: str, body_html: str, thanks: str, unit_name: str, private: list[str]
) -> tuple[str, str]:
    """`public_search_text` from the fields themselves (the data migration has no Reply)."""
    text = [redact_text(opening or "", private), body_text(redact_text(body_html or "", private))]
    text += [redact_text(thanks or "", private), unit_name]
    return redact_text(title or "", private), "\n".join(text)
