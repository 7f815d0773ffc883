"""The public portal's list and feed look up the members' private details for all their replies
at once: a constant number of queries however many replies are published, and a confirmed
co-signer's address is still hidden (found by the load benchmark: 100 queries per list page)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from proposals import services

from .factories import CategoryFactory, MeetingFactory
from .test_portal_search import draft_reply, office, send

COSIGNER_ADDRESS = "杭州市上城区湖滨街道平海路12号"


def published_reply(n, *, lead, cosigner, meeting, category, handler, supervisor):
    """An item of `lead` co-signed by `cosigner`, answered and published; its body repeats the
    co-signer's address."""
    item = services.proposal_create(
        author=lead,
        meeting=meeting,
        title=f"关于社区养老服务第{n}项的建议",
        body="建议研究落实。",
        category=category,
    )
    invitation = services.cosigner_invite(proposal=item, actor=lead, member=cosigner)
    services.cosigner_respond(cosigner=invitation, actor=cosigner, accept=True)
    services.proposal_submit(proposal=item, actor=lead)
    services.proposal_register(proposal=item, actor=supervisor)
    services.proposal_assign(proposal=item, actor=supervisor, lead_unit=handler.unit)
    services.assignment_accept(assignment=item.assignments.get(role="lead"), actor=handler.staff)
    reply = draft_reply(
        item, handler, body_html=f"我局到{COSIGNER_ADDRESS}走访了社区养老服务站（第{n}项）。"
    )
    return send(reply, handler, supervisor)


@pytest.fixture
def world(member, other_member, npc_supervisor):
    profile = other_member.member_profile
    profile.address = COSIGNER_ADDRESS
    profile.save()
    handler = office("mz", "杭州市民政局", "市民政局")
    common = {
        "lead": member,
        "cosigner": other_member,
        "meeting": MeetingFactory(disclosure_working_days=0),
        "category": CategoryFactory(body="npc", name="民政"),
        "handler": handler,
        "supervisor": npc_supervisor,
    }
    made = [published_reply(n, **common) for n in range(2)]

    def more(count: int) -> None:
        made.extend(published_reply(len(made) + n, **common) for n in range(count))

    return made, more


def queries(url: str, params: dict[str, str] | None = None) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = Client().get(url, params or {})
    assert response.status_code == 200
    return len(captured), response.content.decode()


@pytest.mark.django_db
def test_list_and_feed_queries_do_not_grow_with_published_replies(world):
    made, more = world
    pages = [
        (reverse("portal:index"), None),
        (reverse("portal:index"), {"q": "养老"}),
        (reverse("portal:feed"), None),
    ]
    few = [queries(url, params)[0] for url, params in pages]
    more(6)
    many = [queries(url, params)[0] for url, params in pages]
    assert many == few
    assert max(few) <= 12
    _count, html = queries(reverse("portal:index"))
    assert all(f"/public/replies/{reply.pk}/" in html for reply in made)


@pytest.mark.django_db
def test_a_confirmed_cosigners_address_is_hidden_in_the_list_and_the_feed(world):
    made, _more = world
    _count, listing = queries(reverse("portal:index"), {"q": "走访"})
    _count, feed = queries(reverse("portal:feed"))
    for html in (listing, feed):
        assert f"/public/replies/{made[0].pk}/" in html
        assert COSIGNER_ADDRESS not in html
        assert "（已隐去）" in html
