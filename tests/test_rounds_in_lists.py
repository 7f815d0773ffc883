"""Lists show the handling round of an item in 重新办理: the item list, the unit workspace and
the workspace's export, with a query count that does not grow with the rows."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from proposals import services
from replies import services as reply_services

from .test_item_export import rate, send_reply

TAG = "重新办理（第{n}轮）"


def rehandled_items(
    count: int, *, member, meeting, category, supervisor, unit, staff, leader, tag: str
) -> list[Any]:
    """`count` items of `member` answered by `unit`, rated 不满意 and sent back for a second
    round (open), and as many handled once (assigned, not yet answered)."""
    items = []
    for n in range(count):
        for again in (True, False):
            item = services.proposal_create(
                author=member,
                meeting=meeting,
                title=f"{'重办' if again else '首轮'}事项{tag}{n}",
                body="x",
                category=category,
            )
            services.proposal_submit(proposal=item, actor=member)
            services.proposal_register(proposal=item, actor=supervisor)
            services.proposal_assign(proposal=item, actor=supervisor, lead_unit=unit)
            if again:
                now = timezone.now()
                reply = send_reply(item.assignments.get(), staff, leader, "C", at=now)
                rate(reply, member, "unsatisfied", "unsatisfied", at=now)
                reply_services.proposal_rehandle(proposal=item, actor=supervisor, replies=[reply])
            items.append(item)
    return items


@pytest.fixture
def world(member, npc_meeting, npc_category, npc_supervisor, unit, unit_staff, unit_leader):
    npc_meeting.supervisor_review_required = False
    npc_meeting.contact_requirement = "none"
    npc_meeting.save()

    def grow(count: int, tag: str) -> list[Any]:
        return rehandled_items(
            count,
            member=member,
            meeting=npc_meeting,
            category=npc_category,
            supervisor=npc_supervisor,
            unit=unit,
            staff=unit_staff,
            leader=unit_leader,
            tag=tag,
        )

    return grow


def rows_with_tag(html: str) -> dict[str, bool]:
    """{title: shows the round tag} for the rows of the page's list table."""
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S):
        title = re.search(r'<a href="/items/\d+/">([^<]+)</a>', row)
        if title:
            found[title[1]] = TAG.format(n=2) in row
    return found


@pytest.mark.django_db
class TestItemList:
    @pytest.mark.parametrize("who", ["member", "npc_supervisor", "unit_staff"])
    def test_the_round_shows_on_re_handled_items_only(self, request, login, world, who):
        world(1, "a")
        html = login(request.getfixturevalue(who)).get("/items/").content.decode()
        assert rows_with_tag(html) == {"重办事项a0": True, "首轮事项a0": False}
        assert html.count(TAG.format(n=2)) == 1

    def test_the_query_count_does_not_grow_with_the_rows(
        self, client, world, npc_supervisor, member
    ):
        client.force_login(npc_supervisor)
        world(1, "a")
        with CaptureQueriesContext(connection) as few:
            client.get("/items/")
        world(6, "b")
        with CaptureQueriesContext(connection) as many:
            html = client.get("/items/").content.decode()
        assert html.count(TAG.format(n=2)) == 7
        assert len(many) == len(few)
        rounds = 'MAX("proposals_assignment"."round")'
        assert len([query for query in many if rounds in query["sql"]]) == 1

    def test_no_query_for_rounds_when_nothing_on_the_page_was_assigned(
        self, client, member, npc_meeting, npc_category
    ):
        for n in range(3):
            item = services.proposal_create(
                author=member,
                meeting=npc_meeting,
                title=f"草稿{n}",
                body="x",
                category=npc_category,
            )
            services.proposal_submit(proposal=item, actor=member)
        client.force_login(member)
        with CaptureQueriesContext(connection) as captured:
            client.get("/items/")
        rounds = 'MAX("proposals_assignment"."round")'
        assert not [query for query in captured if rounds in query["sql"]]


@pytest.mark.django_db
class TestUnitWorkspace:
    def test_the_round_shows_on_the_second_rounds_assignment(self, login, world, unit_staff):
        world(1, "a")
        html = login(unit_staff).get("/items/work/").content.decode()
        rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)
        tagged = [row for row in rows if TAG.format(n=2) in row]
        assert len(tagged) == 1 and "重办事项a0" in tagged[0] and "待签收" in tagged[0]
        # the first round's answered assignment is listed without it
        first = [row for row in rows if "重办事项a0" in row and row not in tagged]
        assert len(first) == 1 and "已答复" in first[0]

    def test_the_workspace_export_shows_the_round(self, login, world, unit_staff):
        world(1, "a")
        response = login(unit_staff).get("/items/work/export.xlsx")
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        header, *rows = sheet.iter_rows(values_only=True)
        assert header[4] == "重新办理"
        by_title = sorted(
            ((row[1], row[4], row[8]) for row in rows), key=lambda r: (r[0], r[1] or "")
        )
        assert by_title == [
            ("重办事项a0", None, "已答复"),
            ("重办事项a0", "第2轮", "待签收"),
            ("首轮事项a0", None, "待签收"),
        ]
