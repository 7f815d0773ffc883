"""List pages and home pages issue a constant number of queries, however many items there are."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from proposals import services

from .factories import CategoryFactory


def make_items(member, meeting, supervisor, count, unit):
    parent = CategoryFactory(body="npc", name=f"父类{count}")
    for i in range(count):
        category = CategoryFactory(body="npc", parent=parent, name=f"子类{count}-{i}")
        proposal = services.proposal_create(
            author=member, meeting=meeting, title=f"事项{count}-{i}", body="x", category=category
        )
        services.proposal_submit(proposal=proposal, actor=member)
        if i % 2:
            services.proposal_register(proposal=proposal, actor=supervisor)
            services.proposal_assign(proposal=proposal, actor=supervisor, lead_unit=unit)


def queries_for(client, url, params=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "url", "params"),
    [
        ("member", "proposals:list", {}),
        ("member", "proposals:list", {"q": "事项", "status": "registered"}),
        ("member", "workbench:home", {}),
        ("npc_supervisor", "proposals:list", {}),
        ("npc_supervisor", "proposals:review_queue", {}),
        (
            "npc_supervisor",
            "proposals:list",
            {"overdue": "false", "due_within": "200", "result_class": "A", "role": "lead"},
        ),
        ("npc_supervisor", "workbench:home", {}),
        ("npc_supervisor", "proposals:assign_queue", {}),
        ("unit_staff", "workbench:home", {}),
        ("unit_staff", "proposals:unit_workspace", {}),
        ("unit_staff", "proposals:unit_workspace", {"overdue": "false", "due_within": "100"}),
        ("unit_leader", "proposals:unit_workspace", {}),
        ("npc_supervisor", "proposals:dashboard", {}),
        ("npc_supervisor", "proposals:scorecards", {}),
        ("npc_supervisor", "proposals:request_queue", {}),
        ("npc_supervisor", "proposals:urging", {}),
        ("npc_supervisor", "replies:review_queue", {}),
        ("npc_supervisor", "replies:follow_ups", {}),
        ("unit_staff", "replies:follow_ups", {}),
    ],
)
def test_query_count_does_not_grow_with_items(
    client, member, npc_supervisor, unit_staff, unit_leader, unit, npc_meeting, role, url, params
):
    users = {"member": member, "npc_supervisor": npc_supervisor}
    users.update({"unit_staff": unit_staff, "unit_leader": unit_leader})
    user = users[role]
    client.force_login(user)
    make_items(member, npc_meeting, npc_supervisor, 2, unit)
    few = queries_for(client, reverse(url), params)
    make_items(member, npc_meeting, npc_supervisor, 15, unit)
    many = queries_for(client, reverse(url), params)
    assert many == few
    # session, user, notices badge, filter dropdowns, count and page; the dashboard has one
    # aggregate per chart; the navigation's count of the person's work is one statement with
    # parallel workers switched off around it (a savepoint, SET LOCAL, its release: 4 in all)
    assert few <= (16 if url == "proposals:dashboard" else 12) + 3
