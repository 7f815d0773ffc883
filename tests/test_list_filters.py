"""The item list filters by unit, role, class, satisfaction, overdue and due within N days, keeps
the filter in the URL, and offers only units the user may see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from proposals import services
from replies import services as reply_services

from .factories import UnitFactory


@pytest.fixture
def items(member, npc_supervisor, npc_meeting, npc_category, unit, unit_staff, unit_leader):
    npc_meeting.supervisor_review_required = False
    npc_meeting.save()
    other = UnitFactory(name="杭州市教育局", short_name="市教育局")
    made = {}
    for title, lead, co in (
        ("甲：民政主办", unit, [other]),
        ("乙：教育主办", other, []),
        ("丙：民政主办已答复", unit, []),
    ):
        proposal = services.proposal_create(
            author=member, meeting=npc_meeting, title=title, body="x", category=npc_category
        )
        services.proposal_submit(proposal=proposal, actor=member)
        services.proposal_register(proposal=proposal, actor=npc_supervisor)
        services.proposal_assign(
            proposal=proposal, actor=npc_supervisor, lead_unit=lead, co_units=co
        )
        made[title[0]] = proposal
    # 乙 is overdue, 甲 due in 5 days
    made["乙"].assignments.update(due_on=timezone.localdate() - timedelta(days=2))
    made["甲"].assignments.filter(role="lead").update(
        due_on=timezone.localdate() + timedelta(days=5)
    )
    # 丙 replied, class B, rated 不满意
    lead = made["丙"].assignments.get()
    services.assignment_accept(assignment=lead, actor=unit_staff)
    reply = reply_services.reply_start(assignment=lead, actor=unit_staff)
    reply = reply_services.reply_save(
        reply=reply, actor=unit_staff, version=reply.version, body_html="x", result_class="B"
    )
    reply_services.reply_submit(reply=reply, actor=unit_staff)
    reply = reply_services.reply_sign(reply=reply, actor=unit_leader)
    reply_services.evaluation_submit(
        reply=reply,
        actor=member,
        work_rating="satisfied",
        result_rating="unsatisfied",
        contacted=True,
        face_to_face=False,
    )
    return made, other


def titles(client, params):
    html = client.get(reverse("proposals:list"), params).content.decode()
    return {t for t in ("甲：民政主办", "乙：教育主办", "丙：民政主办已答复") if t in html}


@pytest.mark.django_db
class TestHandlingFilters:
    def test_each_filter(self, login, items, npc_supervisor, unit):
        _made, other = items
        client = login(npc_supervisor)
        assert titles(client, {"unit": unit.pk}) == {"甲：民政主办", "丙：民政主办已答复"}
        assert titles(client, {"unit": other.pk}) == {"乙：教育主办", "甲：民政主办"}
        assert titles(client, {"unit": other.pk, "role": "lead"}) == {"乙：教育主办"}
        assert titles(client, {"role": "co"}) == {"甲：民政主办"}
        assert titles(client, {"result_class": "B"}) == {"丙：民政主办已答复"}
        assert titles(client, {"satisfaction": "unsatisfied"}) == {"丙：民政主办已答复"}
        assert titles(client, {"overdue": "true"}) == {"乙：教育主办"}
        assert titles(client, {"due_within": "7"}) == {"甲：民政主办"}

    def test_the_filter_stays_in_the_url_across_pages(self, login, items, npc_supervisor, unit):
        html = (
            login(npc_supervisor)
            .get(reverse("proposals:list"), {"unit": unit.pk, "overdue": "false"})
            .content.decode()
        )
        assert f'<option value="{unit.pk}" selected>' in html

    def test_a_unit_user_is_offered_only_units_on_its_items(self, login, items, unit_staff):
        _made, other = items
        unrelated = UnitFactory(name="杭州市卫生健康委员会")
        html = login(unit_staff).get(reverse("proposals:list")).content.decode()
        assert other.name in html  # co-handles 甲 with 市民政局
        assert unrelated.name not in html

    def test_sorting_sorts_and_speaks_chinese(self, login, items, npc_supervisor, unit_staff):
        client = login(npc_supervisor)
        html = client.get(reverse("proposals:list"), {"ordering": "-title"}).content.decode()
        assert '<option value="-title" selected>标题（降序）</option>' in html
        assert "descending" not in html
        shown = [t for t in sorted(titles(client, {}), reverse=True)]
        assert [html.index(t) for t in shown] == sorted(html.index(t) for t in shown)
        workspace = login(unit_staff).get(reverse("proposals:unit_workspace")).content.decode()
        assert "办理期限（从晚到早）" in workspace and "descending" not in workspace

    def test_a_supervisor_is_offered_the_meetings_and_categories_of_their_body(
        self, login, items, npc_supervisor, npc_meeting, npc_category, cppcc_meeting, cppcc_member
    ):
        from proposals import services

        from .factories import CategoryFactory

        cppcc_category = CategoryFactory(body="cppcc", name="政协专用类别")
        proposal = services.proposal_create(
            author=cppcc_member,
            meeting=cppcc_meeting,
            title="关于政协事项的提案",
            body="建议。",
            category=cppcc_category,
        )
        services.proposal_submit(proposal=proposal, actor=cppcc_member)
        html = login(npc_supervisor).get(reverse("proposals:list")).content.decode()
        assert f'<option value="{npc_meeting.pk}">' in html
        assert f'<option value="{npc_category.pk}">' in html
        assert f'<option value="{cppcc_meeting.pk}">' not in html
        assert cppcc_category.name not in html
