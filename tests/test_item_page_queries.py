"""The item page asks the same number of queries however many units have replied (the load
benchmark found two more queries per sent reply: each reply loaded the item and its meeting
again for the evaluation window)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from proposals import services
from replies import services as reply_services

from .test_portal_search import office


def answered_by(units, *, lead, meeting, category, supervisor):
    """An item assigned to each office separately (分办), each of which sends its reply."""
    item = services.proposal_create(
        author=lead,
        meeting=meeting,
        title="关于完善社区养老服务的建议",
        body="建议。",
        category=category,
    )
    services.proposal_submit(proposal=item, actor=lead)
    services.proposal_register(proposal=item, actor=supervisor)
    services.proposal_assign(
        proposal=item, actor=supervisor, separate_units=[handler.unit for handler in units]
    )
    for handler in units:
        assignment = item.assignments.get(unit=handler.unit)
        services.assignment_accept(assignment=assignment, actor=handler.staff)
        reply = reply_services.reply_start(assignment=assignment, actor=handler.staff)
        reply = reply_services.reply_save(
            reply=reply,
            actor=handler.staff,
            version=reply.version,
            result_class="B",
            body_html="一、办理情况。已研究落实。",
        )
        reply_services.reply_submit(reply=reply, actor=handler.staff)
        reply = reply_services.reply_sign(reply=reply, actor=handler.leader)
        if reply.status == "in_review":
            reply_services.reply_approve(reply=reply, actor=supervisor)
    return item


def page_queries(client, item) -> tuple[int, str]:
    client.get(reverse("proposals:detail", args=[item.pk]))  # sessions and caches warm
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("proposals:detail", args=[item.pk]))
    assert response.status_code == 200
    return len(captured), response.content.decode()


@pytest.mark.django_db
def test_the_item_page_does_not_ask_more_per_reply(
    login, member, npc_supervisor, npc_meeting, npc_category
):
    handlers = [office(f"u{n}", f"杭州市第{n}局", f"第{n}局") for n in range(4)]
    common = {
        "lead": member,
        "meeting": npc_meeting,
        "category": npc_category,
        "supervisor": npc_supervisor,
    }
    one = answered_by(handlers[:1], **common)
    three = answered_by(handlers[1:], **common)
    client = login(member)
    few, _html = page_queries(client, one)
    many, html = page_queries(client, three)
    assert many == few
    # every reply is still listed for evaluation by the member
    for handler in handlers[1:]:
        assert handler.unit.short_name in html


@pytest.mark.django_db
def test_the_item_page_asks_few_queries_for_every_role(
    login, member, npc_supervisor, npc_meeting, npc_category
):
    """The most viewed page under load (bench/load.py): a draft asks nothing about handling,
    and the handling sections share what the page has loaded. Queries per view, sessions
    included; a change that adds one should say why here."""
    handler = office("u9", "杭州市第九局", "第九局")
    answered = answered_by(
        [handler],
        lead=member,
        meeting=npc_meeting,
        category=npc_category,
        supervisor=npc_supervisor,
    )
    draft = services.proposal_create(
        author=member,
        meeting=npc_meeting,
        title="关于增设公交站的建议",
        body="建议。",
        category=npc_category,
    )
    counts = {
        "member, draft": page_queries(login(member), draft)[0],
        "member, answered": page_queries(login(member), answered)[0],
        "unit staff": page_queries(login(handler.staff), answered)[0],
        "supervisor": page_queries(login(npc_supervisor), answered)[0],
    }
    # before: 12, 18, 25 and 21 (handling and evaluation each asked for the assignments,
    # replies, signers and evaluations again, and the replies through the reply scope's joins);
    # +4 on every page since the navigation counts what waits for the person (one count
    # statement, with parallel workers switched off around it: a savepoint, SET LOCAL, release)
    assert counts == {
        "member, draft": 12,  # the pre-check's similar items (proposals.precheck)
        "member, answered": 17,
        "unit staff": 21,
        "supervisor": 20,
    }
