"""The supervisor's dashboard and the unit scorecards with the year-end assessment: exact numbers
on a small known data set, the rubric's effect on the ranking, permissions and scope, and a
constant number of queries however many items there are."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from proposals import dashboards, services
from proposals.dashboards import Rate, UnitCount
from proposals.models import AssessmentRubric, Assignment, Proposal
from replies import services as reply_services
from replies.models import Evaluation
from replies.permissions import replies_for_user

from .factories import MeetingFactory, UnitFactory, UserFactory

DASHBOARD = "/items/dashboard/"
SCORECARDS = "/items/scorecards/"


def make_item(member, meeting, category, supervisor, title, *, unit=None, days_ago=0, key=False):
    """A submitted item; with `unit`, registered and assigned to it as lead `days_ago` days ago
    (so that its due date is the policy's three months from then)."""
    proposal = services.proposal_create(
        author=member, meeting=meeting, title=title, body="x", category=category
    )
    services.proposal_submit(proposal=proposal, actor=member)
    if unit is not None:
        services.proposal_register(proposal=proposal, actor=supervisor, is_key=key)
        services.proposal_assign(
            proposal=proposal,
            actor=supervisor,
            lead_unit=unit,
            now=timezone.now() - timedelta(days=days_ago),
        )
    proposal.refresh_from_db()
    return proposal


def open_assignment(proposal):
    return (
        proposal.assignments.filter(status__in=["assigned", "accepted"]).order_by("-round").first()
    )


def accept(proposal, staff):
    assignment = open_assignment(proposal)
    if assignment.status == "assigned":
        services.assignment_accept(assignment=assignment, actor=staff)
    return open_assignment(proposal)


def send_reply(proposal, staff, leader, result_class, *, public=True, face_to_face=False):
    assignment = accept(proposal, staff)
    if face_to_face:
        services.contact_record_create(
            assignment=assignment,
            actor=staff,
            method="face_to_face",
            contacted_on=timezone.localdate(),
            participants="代表、承办员",
            notes="当面听取意见",
        )
    reply = reply_services.reply_start(assignment=assignment, actor=staff)
    data = {"body_html": "答复正文", "result_class": result_class}
    if not public:
        data |= {"disclosure": "withheld", "withheld_reason": "涉及内部工作安排"}
    reply = reply_services.reply_save(reply=reply, actor=staff, version=reply.version, **data)
    reply_services.reply_submit(reply=reply, actor=staff)
    return reply_services.reply_sign(reply=reply, actor=leader)


def evaluate(reply, member, work, result):
    return reply_services.evaluation_submit(
        reply=reply,
        actor=member,
        work_rating=work,
        result_rating=result,
        contacted=True,
        face_to_face=False,
    )


@pytest.fixture
def world(member, npc_supervisor, npc_meeting, npc_category, unit, unit_staff, unit_leader):  # type: ignore[no-untyped-def]
    """Three units of one NPC meeting (supervisor review off, no contact requirement):

    - 市民政局 (A): 萧山1号 (key), replied on time, class A, 不予公开, no contact, rated 不满意 and
      sent back for 重新办理 (round 2 open, not yet due);
    - 市教育局 (B): 萧山2号 assigned 120 days ago and replied today (late), class B, public,
      with a face-to-face contact, rated 满意 (so closed); 萧山3号 assigned 120 days ago and still
      open (overdue); 萧山4号 replied on time, class C, 不予公开, not rated yet;
    - 市卫健委 (C): 萧山5号, due in two to five days, open;
    - and one item waiting for review.
    """
    npc_meeting.supervisor_review_required = False
    npc_meeting.contact_requirement = "none"
    npc_meeting.save()
    unit_b = UnitFactory(name="杭州市教育局", short_name="市教育局")
    staff_b = UserFactory(
        username="staff_b", full_name="教育局承办员", role="unit_staff", unit=unit_b
    )
    leader_b = UserFactory(
        username="leader_b", full_name="教育局负责人", role="unit_leader", unit=unit_b
    )
    unit_c = UnitFactory(name="杭州市卫生健康委员会", short_name="市卫健委")
    args = (member, npc_meeting, npc_category, npc_supervisor)
    item1 = make_item(*args, "关于养老服务的建议", unit=unit, key=True)
    item2 = make_item(*args, "关于校园安全的建议", unit=unit_b, days_ago=120)
    item3 = make_item(*args, "关于课后服务的建议", unit=unit_b, days_ago=120)
    item4 = make_item(*args, "关于学前教育的建议", unit=unit_b)
    # three months from 88 days ago: two to five days from now, whatever the months' lengths
    item5 = make_item(*args, "关于基层医疗的建议", unit=unit_c, days_ago=88)
    item6 = make_item(*args, "关于公园绿地的建议")

    reply1 = send_reply(item1, unit_staff, unit_leader, "A", public=False)
    reply2 = send_reply(item2, staff_b, leader_b, "B", face_to_face=True)
    accept(item3, staff_b)
    send_reply(item4, staff_b, leader_b, "C", public=False)
    evaluate(reply1, member, "basically", "unsatisfied")
    evaluate(reply2, member, "satisfied", "satisfied")
    reply_services.proposal_rehandle(proposal=item1, actor=npc_supervisor, replies=[reply1])
    items = [item1, item2, item3, item4, item5, item6]
    for item in items:
        item.refresh_from_db()
    return {
        "items": items,
        "units": (unit, unit_b, unit_c),
        "item5_due": open_assignment(item5).due_on,
    }


def rubric(name, year, *, is_active=True, **weights):
    """A saved rubric with the given weights and every other weight (and the penalty) 0."""
    zero = dict.fromkeys(
        ("on_time", "class_a", "satisfaction", "face_to_face", "disclosure", "rehandling_penalty"),
        0,
    )
    return AssessmentRubric.objects.create(
        name=name, year=year, is_active=is_active, **{**zero, **weights}
    )


def card_of(cards, unit):
    return next(card for card in cards if card.unit_id == unit.pk)


@pytest.mark.django_db
class TestDashboardNumbers:
    def test_the_known_world(self, world, npc_supervisor):
        items = Proposal.objects.for_user(npc_supervisor)
        assignments = Assignment.objects.for_user(npc_supervisor)
        replies = replies_for_user(npc_supervisor)
        unit_b = world["units"][1]
        assert [item.status for item in world["items"]] == [
            "assigned",  # 重新办理
            "closed",  # its only signer rated 满意
            "assigned",
            "replied",
            "assigned",
            "submitted",
        ]

        counts = {code: n for code, _label, n in dashboards.status_counts(items)}
        assert counts == {
            "submitted": 1,
            "registered": 0,
            "rejected": 0,
            "merged": 0,
            "converted": 0,
            "withdrawn": 0,
            "assigned": 3,
            "replied": 1,
            "evaluated": 0,
            "closed": 1,
        }

        due = dashboards.due_soon(assignments)
        assert [(a.proposal.title, a.unit.short_name) for a in due] == [
            ("关于基层医疗的建议", "市卫健委")
        ]
        assert 2 <= (world["item5_due"] - timezone.localdate()).days <= 5

        assert dashboards.overdue_by_unit(assignments) == [
            UnitCount(unit_b.pk, "杭州市教育局", "市教育局", 1)
        ]

        key = dashboards.key_items(items)
        assert (key.total, key.closed, key.overdue) == (1, 0, 0)
        assert [p.title for p in key.rows] == ["关于养老服务的建议"]
        handlers = key.rows[0].handlers  # type: ignore[attr-defined]
        assert [(a.unit.short_name, a.round) for a in handlers] == [("市民政局", 2)]

        shares = dashboards.class_shares(replies)
        assert [(s.code, s.label, s.rate) for s in shares] == [
            ("A", "A类", Rate(1, 3)),
            ("B", "B类", Rate(1, 3)),
            ("C", "C类", Rate(1, 3)),
        ]
        assert str(shares[0].rate) == "33.3%"

        satisfaction = dashboards.satisfaction_shares(
            Evaluation.objects.filter(reply__in=replies.values("pk"))
        )
        assert satisfaction.total == 2
        assert satisfaction.satisfied == Rate(1, 2)
        assert [(s.code, s.rate) for s in satisfaction.work] == [
            ("satisfied", Rate(1, 2)),
            ("basically", Rate(1, 2)),
            ("unsatisfied", Rate(0, 2)),
        ]
        assert [(s.code, s.rate) for s in satisfaction.result] == [
            ("satisfied", Rate(1, 2)),
            ("basically", Rate(0, 2)),
            ("unsatisfied", Rate(1, 2)),
        ]

        trend = dashboards.trend_by_meeting(items)
        assert [(t.submitted, t.registered, t.replied, t.closed) for t in trend] == [(6, 5, 3, 1)]
        # the page takes the status counts from the trend's query
        assert dashboards.status_counts(items, trend) == dashboards.status_counts(items)

    def test_the_page_shows_them_with_charts_and_nothing_from_outside(
        self, world, login, npc_supervisor
    ):
        response = login(npc_supervisor).get(DASHBOARD)
        assert response.status_code == 200
        page = response.content.decode()
        for heading in ["按状态统计", "7 天内到期的交办", "逾期交办（按单位）", "重点建议提案"]:
            assert heading in page
        for heading in ["答复类别占比", "满意度测评", "各次会议办理情况"]:
            assert heading in page
        assert page.count("<svg") == 5
        assert '<title id="chart-status-title">按状态统计</title>' in page
        assert "<title>已交办：3</title>" in page  # one per bar, for screen readers
        assert "<title>市教育局：1</title>" in page
        assert "<title>A类：33.3%</title>" in page
        assert "<title>市14届人大3次会议 · 已答复：3</title>" in page
        assert "<script" not in page and 'src="http' not in page and 'href="http' not in page
        assert "关于基层医疗的建议" in page  # due within 7 days
        assert "共 1 件，已办结 0 件，有单位逾期 0 件。" in page
        assert response.context["overdue_total"] == 1

    def test_a_meeting_narrows_everything(self, world, login, npc_supervisor, npc_meeting):
        later = MeetingFactory(body="npc", term=14, sitting=9, short_name="市14届人大9次会议")
        other = make_item(
            world["items"][0].lead,
            later,
            world["items"][0].category,
            npc_supervisor,
            "下次会议的建议",
        )
        assert other.status == "submitted"
        client = login(npc_supervisor)
        everything = client.get(DASHBOARD).context
        assert everything["total"] == 7
        assert len(everything["trend"]) == 2
        narrowed = client.get(DASHBOARD, {"meeting": npc_meeting.pk}).context
        assert narrowed["total"] == 6
        assert [t.short_name for t in narrowed["trend"]] == ["市14届人大3次会议"]


@pytest.mark.django_db
class TestScorecards:
    def test_exact_rates(self, world, npc_supervisor, npc_meeting):
        unit_a, unit_b, unit_c = world["units"]
        cards = dashboards.unit_scorecards(npc_meeting, npc_supervisor)
        assert [card.short_name for card in cards] == ["市卫健委", "市教育局", "市民政局"]

        a = card_of(cards, unit_a)
        assert (a.assignments, a.replied, a.overdue, a.rehandled) == (2, 1, 0, 1)
        assert a.on_time_rate == Rate(1, 1)
        assert [(share.code, share.rate) for share in a.class_shares] == [
            ("A", Rate(1, 1)),
            ("B", Rate(0, 1)),
            ("C", Rate(0, 1)),
        ]
        assert a.top_class_rate == Rate(1, 1)
        assert a.satisfaction_rate == Rate(0, 1)
        assert a.face_to_face_rate == Rate(0, 1)
        assert a.disclosure_rate == Rate(0, 1)

        b = card_of(cards, unit_b)
        assert (b.assignments, b.replied, b.overdue, b.rehandled) == (3, 2, 1, 0)
        assert b.on_time_rate == Rate(1, 3)  # 4号 on time; 2号 late; 3号 open past its date
        assert str(b.on_time_rate) == "33.3%"
        assert [share.rate for share in b.class_shares] == [Rate(0, 2), Rate(1, 2), Rate(1, 2)]
        assert b.top_class_rate == Rate(0, 2)
        assert b.satisfaction_rate == Rate(1, 1)
        assert b.face_to_face_rate == Rate(1, 2)
        assert b.disclosure_rate == Rate(1, 2)

        c = card_of(cards, unit_c)
        assert (c.assignments, c.replied, c.overdue) == (1, 0, 0)
        assert all(rate.value is None for rate in c.rates().values())
        assert str(c.on_time_rate) == "—"

    def test_scores_and_ranking_follow_the_rubric(self, world, npc_supervisor, npc_meeting):
        unit_a, unit_b, _unit_c = world["units"]
        cards = dashboards.unit_scorecards(npc_meeting, npc_supervisor)

        # default weights 30/20/30/10/10, 5 points per re-handled assignment:
        # A = 100 × (30 + 20) / 100 − 5 = 45; B = 100 × (30/3 + 0 + 30 + 5 + 5) / 100 = 50
        ranked = dashboards.assessment_scores(cards, AssessmentRubric.objects.current(2026))
        assert [(c.short_name, c.score, c.rank) for c in ranked] == [
            ("市教育局", Decimal("50.00"), 1),
            ("市民政局", Decimal("45.00"), 2),
            ("市卫健委", None, None),
        ]

        # punctuality first: A = 100 × (60 + 20) / 100 = 80; B = 100 × (60/3 + 10 + 2.5 + 2.5) / 100 = 35
        punctual = AssessmentRubric.objects.create(
            name="按期优先",
            year=2026,
            on_time=60,
            class_a=20,
            satisfaction=10,
            face_to_face=5,
            disclosure=5,
            rehandling_penalty=0,
        )
        ranked = dashboards.assessment_scores(cards, AssessmentRubric.objects.current(2026))
        assert [(c.short_name, c.score, c.rank) for c in ranked] == [
            ("市民政局", Decimal("80.00"), 1),
            ("市教育局", Decimal("35.00"), 2),
            ("市卫健委", None, None),
        ]
        assert cards[1].score is None  # the scorecards themselves are left as they were

        # a heavy penalty never goes below 0; equal scores share a rank
        punctual.rehandling_penalty = 90
        punctual.save()
        only_satisfaction = AssessmentRubric(
            name="只看满意率",
            year=2026,
            on_time=0,
            class_a=0,
            satisfaction=1,
            face_to_face=0,
            disclosure=0,
            rehandling_penalty=0,
        )
        penalised = dashboards.assessment_scores(cards, punctual)
        assert card_of(penalised, unit_a).score == Decimal("0.00")
        tied = dashboards.assessment_scores(
            [*cards, *[card for card in cards if card.unit_id == unit_b.pk]], only_satisfaction
        )
        assert [(c.short_name, c.score, c.rank) for c in tied][:3] == [
            ("市教育局", Decimal("100.00"), 1),
            ("市教育局", Decimal("100.00"), 1),
            ("市民政局", Decimal("0.00"), 3),
        ]

    def test_the_active_rubric_of_the_year_is_used(self, world, login, npc_supervisor):
        client = login(npc_supervisor)
        response = client.get(SCORECARDS)
        assert response.status_code == 200
        assert response.context["rubric"].is_default
        assert [c.short_name for c in response.context["cards"]] == [
            "市教育局",
            "市民政局",
            "市卫健委",
        ]
        page = response.content.decode()
        assert "尚未启用考评细则" in page
        assert '33.3% <small class="muted">1/3</small>' in page
        assert '<title id="chart-scores-title">考评得分</title>' in page

        rubric("旧细则", 2025, on_time=100)
        rubric("停用的", 2026, is_active=False, satisfaction=100)
        # no active rubric for 2026: the latest active one (2025) is used
        response = client.get(SCORECARDS, {"year": "2026"})
        assert response.context["rubric"].name == "旧细则"
        assert [(c.short_name, c.score) for c in response.context["cards"]][:2] == [
            ("市民政局", Decimal("100.00")),
            ("市教育局", Decimal("33.33")),
        ]
        rubric("2026年度细则", 2026, face_to_face=100)
        response = client.get(SCORECARDS, {"year": "2026"})
        assert response.context["rubric"].name == "2026年度细则"
        assert [(c.short_name, c.score) for c in response.context["cards"]][:2] == [
            ("市教育局", Decimal("50.00")),
            ("市民政局", Decimal("0.00")),
        ]

    def test_a_unit_missing_data_others_have_is_listed_after_the_ranked_ones(
        self, world, login, npc_supervisor, member, npc_meeting, npc_category
    ):
        """市园文局 replied on time, class A, public, after meeting face to face: 100 % on
        every rate it has, but no rating yet. Scored on what it has it would lead the ranking
        (100 against 50 and 45); it is listed apart as 数据不足 instead, before 市卫健委,
        which has nothing at all."""
        unit_d = UnitFactory(name="杭州市园林文物局", short_name="市园文局")
        staff_d = UserFactory(username="staff_d", role="unit_staff", unit=unit_d)
        leader_d = UserFactory(username="leader_d", role="unit_leader", unit=unit_d)
        item = make_item(
            member, npc_meeting, npc_category, npc_supervisor, "关于西湖保护的建议", unit=unit_d
        )
        send_reply(item, staff_d, leader_d, "A", face_to_face=True)
        cards = dashboards.unit_scorecards(npc_meeting, npc_supervisor)
        d = card_of(cards, unit_d)
        assert [str(rate) for rate in d.rates().values()] == [
            "100.0%",
            "100.0%",
            "—",
            "100.0%",
            "100.0%",
        ]
        assert dashboards.assessment_score(d, AssessmentRubric.default()) == Decimal("100.00")

        response = login(npc_supervisor).get(SCORECARDS, {"meeting": npc_meeting.pk})
        ranked = response.context["cards"]
        assert [(c.short_name, c.score, c.rank, c.missing) for c in ranked] == [
            ("市教育局", Decimal("50.00"), 1, []),
            ("市民政局", Decimal("45.00"), 2, []),
            ("市园文局", None, None, ["满意率"]),
            (
                "市卫健委",
                None,
                None,
                ["按期答复率", "A类答复占比", "满意率", "当面沟通率", "答复公开率"],
            ),
        ]
        assert [c.short_name for c in response.context["ranked_cards"]] == ["市教育局", "市民政局"]
        page = response.content.decode()
        body = page[page.index('<tbody class="insufficient">') :]
        assert "数据不足，不参加排名" in body
        assert body.index("杭州市园林文物局") < body.index("杭州市卫生健康委员会")
        assert "缺：满意率" in body
        # the chart draws the ranked units only
        assert "<title>市教育局：50.00</title>" in page and "市园文局：" not in page

        export = login(npc_supervisor).get(
            reverse("proposals:scorecards_export"), {"meeting": npc_meeting.pk}
        )
        import io

        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert [(row[0], row[1], row[2]) for row in rows] == [
            (1, "杭州市教育局", 50.0),
            (2, "杭州市民政局", 45.0),
            ("数据不足（缺：满意率）", "杭州市园林文物局", None),
            (
                "数据不足（缺：按期答复率、A类答复占比、满意率、当面沟通率、答复公开率）",
                "杭州市卫生健康委员会",
                None,
            ),
        ]
        header = [cell.value for cell in sheet[1]]
        satisfaction = header.index("满意率")
        assert rows[2][satisfaction] is None  # "—" on the page: an empty cell, not 0
        assert rows[1][satisfaction] == 0.0  # 0/1 is a real 0 %
        on_time = sheet.cell(row=2, column=header.index("按期答复率") + 1)
        assert on_time.value == pytest.approx(1 / 3) and on_time.number_format == "0.0%"

    def test_a_rate_no_unit_has_is_left_out_for_everyone(self, db):
        """Nobody is rated yet: satisfaction weighs on no unit, and both are ranked."""
        early = dashboards.Scorecard(
            1,
            "甲单位",
            "甲",
            assignments=2,
            replying=2,
            replied=2,
            on_time=2,
            sent=2,
            public=2,
            top_class=1,
        )
        late = dashboards.Scorecard(
            2,
            "乙单位",
            "乙",
            assignments=2,
            replying=2,
            replied=1,
            on_time=0,
            overdue=1,
            sent=1,
            public=1,
        )
        ranked = dashboards.assessment_scores([late, early], AssessmentRubric.default())
        # 甲 = 100 × (30 + 20 × 0.5 + 0 + 10) / 70 = 71.43; 乙 = 100 × (0 + 0 + 0 + 10) / 70
        assert [(c.name, c.score, c.rank, c.missing) for c in ranked] == [
            ("甲单位", Decimal("71.43"), 1, []),
            ("乙单位", Decimal("14.29"), 2, []),
        ]

    def test_the_export_has_the_pages_headers(self, world, login, npc_supervisor, npc_meeting):
        import io
        import re

        import openpyxl

        client = login(npc_supervisor)
        for params in ({}, {"meeting": npc_meeting.pk}, {"year": "2026"}):
            page = client.get(SCORECARDS, params).content.decode()
            thead = page[re.search(r'<table[^>]* id="ranking"', page).start() :]
            thead = thead[: thead.index("</thead>")]
            page_headers = re.findall(r'<th scope="col">([^<]*)</th>', thead)
            export = client.get(reverse("proposals:scorecards_export"), params)
            sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
            export_headers = [cell.value for cell in sheet[1]]
            assert export_headers == page_headers
            assert page_headers == [
                "排名",
                "承办单位",
                "得分",
                "交办数",
                "按期答复率",
                "A类占比",
                "B类占比",
                "C类占比",
                "满意率",
                "重新办理",
                "当面沟通率",
                "答复公开率",
            ]

    def test_one_active_rubric_per_year(self, db):
        AssessmentRubric.objects.create(name="甲", year=2026)
        AssessmentRubric.objects.create(name="乙", year=2026, is_active=False)
        with pytest.raises(IntegrityError):
            AssessmentRubric.objects.create(name="丙", year=2026)

    def test_the_administrator_edits_rubrics(self, login, administrator):
        client = login(administrator)
        response = client.post(
            "/admin/proposals/assessmentrubric/add/",
            {
                "name": "2026年度考评细则",
                "year": "2026",
                "is_active": "on",
                "on_time": "40",
                "class_a": "20",
                "satisfaction": "20",
                "face_to_face": "10",
                "disclosure": "10",
                "rehandling_penalty": "2.5",
            },
        )
        assert response.status_code == 302
        rubric = AssessmentRubric.objects.get()
        assert (rubric.on_time, rubric.rehandling_penalty) == (Decimal("40"), Decimal("2.5"))
        zero = {
            key: "0" for key in ("on_time", "class_a", "satisfaction", "face_to_face", "disclosure")
        }
        response = client.post(
            "/admin/proposals/assessmentrubric/add/",
            {"name": "全零", "year": "2027", "rehandling_penalty": "0", **zero},
        )
        assert response.status_code == 200
        assert "至少要有一项比率的权重大于0" in response.content.decode()
        second = {"name": "又一套", "year": "2026", "is_active": "on", "rehandling_penalty": "0"}
        response = client.post(
            "/admin/proposals/assessmentrubric/add/", {**second, **zero, "on_time": "1"}
        )
        assert response.status_code == 200
        assert "这一年度已有启用的考评细则" in response.content.decode()
        assert AssessmentRubric.objects.count() == 1


@pytest.mark.django_db
class TestPermissions:
    @pytest.mark.parametrize("url", [DASHBOARD, SCORECARDS])
    def test_only_supervisors(
        self, client, login, url, member, unit_staff, unit_leader, administrator, npc_supervisor
    ):
        assert client.get(url).status_code == 302
        for user in (member, unit_staff, unit_leader, administrator):
            assert login(user).get(url).status_code == 403
        assert login(npc_supervisor).get(url).status_code == 200

    def test_a_cppcc_supervisor_sees_only_cppcc_numbers(
        self,
        world,
        login,
        cppcc_supervisor,
        cppcc_member,
        cppcc_meeting,
        cppcc_category,
        npc_meeting,
        unit,
    ):
        make_item(
            cppcc_member, cppcc_meeting, cppcc_category, cppcc_supervisor, "政协提案", unit=unit
        )
        client = login(cppcc_supervisor)
        cards = client.get(SCORECARDS).context["cards"]
        assert [(c.short_name, c.assignments, c.replied, c.score) for c in cards] == [
            ("市民政局", 1, 0, None)
        ]
        # an NPC meeting is not a choice: the filter is refused and nothing of the NPC shows
        response = client.get(SCORECARDS, {"meeting": npc_meeting.pk})
        assert response.context["form"].errors
        assert [c.short_name for c in response.context["cards"]] == ["市民政局"]
        assert "市教育局" not in response.content.decode()

        dashboard = client.get(DASHBOARD, {"meeting": npc_meeting.pk})
        assert dashboard.context["total"] == 1
        assert dashboard.context["overdue"] == []
        assert dashboard.context["key"].total == 0
        assert [t.short_name for t in dashboard.context["trend"]] == ["市政协七届三次会议"]
        assert "关于基层医疗的建议" not in dashboard.content.decode()

    def test_the_nav_links_show_for_supervisors_only(self, login, npc_supervisor, member):
        page = login(npc_supervisor).get("/").content.decode()
        assert 'href="/items/dashboard/">仪表盘' in page
        assert 'href="/items/scorecards/">单位考评' in page
        assert "/items/dashboard/" not in login(member).get("/").content.decode()


# --- queries ------------------------------------------------------------------------------------


def grow(member, meeting, category, supervisor, count, tag):
    """`count` items, each with its own unit: half replied (on time, some rated, some key), a
    third overdue and still open, and one waiting for review."""
    for i in range(count):
        unit = UnitFactory(name=f"测试单位{tag}-{i}", short_name=f"单位{tag}{i}")
        staff = UserFactory(username=f"s{tag}{i}", role="unit_staff", unit=unit)
        leader = UserFactory(username=f"l{tag}{i}", role="unit_leader", unit=unit)
        days_ago = 120 if i % 3 == 0 else 0
        args = (member, meeting, category, supervisor, f"事项{tag}{i}")
        item = make_item(*args, unit=unit, days_ago=days_ago, key=i % 2 == 0)
        if i % 2:
            reply = send_reply(item, staff, leader, "ABC"[i % 3], face_to_face=i % 4 == 1)
            if i % 4 == 1:
                evaluate(reply, member, "satisfied", "basically")
    make_item(member, meeting, category, supervisor, f"待审{tag}")


def queries_for(client, url, params=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "params"),
    [
        (DASHBOARD, {}),
        (DASHBOARD, {"meeting": "{meeting}"}),
        (SCORECARDS, {}),
        (SCORECARDS, {"meeting": "{meeting}"}),
        (SCORECARDS, {"year": "2026"}),
    ],
)
def test_query_count_does_not_grow_with_items(
    client, member, npc_supervisor, npc_meeting, npc_category, url, params
):
    npc_meeting.supervisor_review_required = False
    npc_meeting.contact_requirement = "none"
    npc_meeting.save()
    params = {key: value.format(meeting=npc_meeting.pk) for key, value in params.items()}
    client.force_login(npc_supervisor)
    grow(member, npc_meeting, npc_category, npc_supervisor, 2, "a")
    few = queries_for(client, url, params)
    page = client.get(url, params)
    assert page.context["cards" if url == SCORECARDS else "statuses"]
    grow(member, npc_meeting, npc_category, npc_supervisor, 15, "b")
    many = queries_for(client, url, params)
    assert many == few
    # +3: the navigation's count runs with parallel workers off (a savepoint, SET LOCAL, release)
    assert few <= 16 + 3


@pytest.mark.django_db
def test_scorecards_export_to_excel(login, world, npc_supervisor, npc_meeting, member):
    import io

    import openpyxl

    response = login(npc_supervisor).get(
        reverse("proposals:scorecards_export"), {"meeting": npc_meeting.pk}
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("排名", "承办单位")
    names = [row[1] for row in rows[1:]]
    assert "杭州市民政局" in names
    assert login(member).get(reverse("proposals:scorecards_export")).status_code == 403
