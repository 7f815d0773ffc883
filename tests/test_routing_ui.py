"""智能交办 in the product: proposals from the units' duties and the deployment's history, on the
交办 form and in the 待交办 queue, the batch that takes the proposals above a confidence, the
decisions recorded, who may use it, and the queue's query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Unit
from proposals import services, suggestions
from proposals.models import Assignment, AssignmentRole, ProposalStatus, RoutingDecision

from .factories import UnitFactory

CIVIL = "关于加强农村留守儿童关爱保护的建议"
ROADS = "关于加快农村公路养护和危桥改造的建议"
VAGUE = "关于进一步做好有关工作的建议"
PARKING = [
    "关于建设智慧停车诱导系统的建议",
    "关于扩大智慧停车诱导覆盖范围的建议",
    "关于智慧停车诱导屏接入全市泊位数据的建议",
]
PARKING_NEW = "关于完善智慧停车诱导系统的建议"


@pytest.fixture(autouse=True)
def _fresh_model():
    suggestions.reset()
    yield
    suggestions.reset()


@pytest.fixture
def units(db):
    return {
        "civil": UnitFactory(name="杭州市民政局", short_name="市民政局"),
        "roads": UnitFactory(name="杭州市交通运输局", short_name="市交通运输局"),
        "edu": UnitFactory(name="杭州市教育局", short_name="市教育局"),
        "police": UnitFactory(name="杭州市公安局", short_name="市公安局"),
        # no shipped unit type in its name and no duties of its own: history only
        "parking": UnitFactory(name="杭州市停车服务保障中心", short_name="市停车中心"),
    }


@pytest.fixture
def make_item(member, npc_supervisor, npc_meeting, npc_category):
    def _make(title: str):
        proposal = services.proposal_create(
            author=member, meeting=npc_meeting, title=title, body="正文", category=npc_category
        )
        services.proposal_submit(proposal=proposal, actor=member)
        return services.proposal_register(proposal=proposal, actor=npc_supervisor)

    return _make


def test_unit_types_from_names():
    assert suggestions.unit_type_of("株洲市民政局") == "民政局"
    assert suggestions.unit_type_of("杭州市住房和城乡建设局") == "住房和城乡建设局"
    assert suggestions.unit_type_of("杭州市自然资源和规划局") == "自然资源和规划局"
    assert suggestions.unit_type_of("杭州市停车服务保障中心") is None


@pytest.mark.django_db
def test_own_duties_win_over_the_shipped_ones():
    unit = Unit.objects.create(name="株洲市民政局", short_name="市民政局")
    assert "殡葬" in suggestions.duties_of(unit)
    unit.duties = "负责停车场规划"
    assert suggestions.duties_of(unit) == "负责停车场规划"
    assert suggestions.duties_of(Unit(name="某某服务中心")) == ""


@pytest.mark.django_db
def test_a_fresh_deployment_gets_proposals_from_duties(units, make_item):
    assert not Assignment.objects.exists()
    civil, roads = make_item(CIVIL), make_item(ROADS)
    found = suggestions.propose([civil, roads])
    assert found[civil.pk].lead.unit == units["civil"]
    assert found[roads.pk].lead.unit == units["roads"]
    lead = found[civil.pk].lead
    assert lead.similar == ()  # no history yet
    assert any("儿童" in phrase for phrase in lead.duty_phrases)
    assert 0 < lead.confidence <= 1


@pytest.mark.django_db
def test_history_improves_the_proposal(units, make_item, npc_supervisor):
    new = make_item(PARKING_NEW)
    before = suggestions.propose_one(new)
    assert before is None or before.lead.unit != units["parking"]
    earlier = []
    for title in PARKING:
        item = make_item(title)
        services.proposal_assign(
            proposal=item,
            actor=npc_supervisor,
            lead_unit=units["parking"],
            co_units=[units["police"]],
        )
        earlier.append(item)
    after = suggestions.propose_one(new)  # refitted: the assignments changed
    assert after is not None
    assert after.lead.unit == units["parking"]
    assert {s.pk for s in after.lead.similar} <= {e.pk for e in earlier}
    assert after.lead.similar and after.lead.similar[0].lead == "市停车中心"
    assert after.lead.similar[0].co == ("市公安局",)
    # the unit that co-handled the similar items is proposed as co-handler
    assert [c.unit for c in after.co][:1] == [units["police"]]


@pytest.mark.django_db
def test_the_model_is_fitted_once_and_refitted_on_change(units, make_item, npc_supervisor):
    item = make_item(CIVIL)
    first = suggestions.fitted()
    assert suggestions.fitted() is first
    services.proposal_assign(proposal=item, actor=npc_supervisor, lead_unit=units["civil"])
    second = suggestions.fitted()
    assert second is not first
    Unit.objects.filter(pk=units["edu"].pk).update(duties="负责留守儿童")
    assert suggestions.fitted() is not second


@pytest.mark.django_db
def test_a_failing_model_shows_nothing(login, npc_supervisor, units, make_item, monkeypatch):
    item = make_item(CIVIL)

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(suggestions, "fitted", broken)
    client = login(npc_supervisor)
    queue = client.get(reverse("proposals:assign_queue"))
    assert queue.status_code == 200
    assert "暂无建议" in queue.content.decode()
    form = client.get(reverse("proposals:assign", args=[item.pk]))
    assert form.status_code == 200
    assert "智能交办建议" not in form.content.decode()


@pytest.mark.django_db
class TestAssignForm:
    def test_shows_the_proposal_and_preselects_only_on_request(
        self, login, npc_supervisor, units, make_item
    ):
        item = make_item(CIVIL)
        client = login(npc_supervisor)
        url = reverse("proposals:assign", args=[item.pk])
        response = client.get(url)
        html = response.content.decode()
        assert "智能交办建议" in html and "市民政局" in html and "采用建议" in html
        assert not response.context["form"].initial  # never preselected silently
        assert f'<option value="{units["civil"].pk}" selected>' not in html
        adopted = client.get(url, {"adopt": "1"})
        assert adopted.context["form"].initial["lead_unit"] == units["civil"].pk
        assert f'<option value="{units["civil"].pk}" selected>' in adopted.content.decode()
        assert "已按建议预选" in adopted.content.decode()

    def test_accepting_records_an_accepted_decision(self, login, npc_supervisor, units, make_item):
        item = make_item(CIVIL)
        client = login(npc_supervisor)
        url = reverse("proposals:assign", args=[item.pk])
        shown = client.get(url).context["suggestion"]
        response = client.post(
            url,
            {
                "suggestion": shown.signed(),
                "lead_unit": shown.lead.unit.pk,
                "co_units": [c.unit.pk for c in shown.co],
            },
        )
        assert response.status_code == 302
        decision = RoutingDecision.objects.get(proposal=item)
        assert decision.lead_accepted and decision.accepted
        assert decision.mode == "single" and decision.decided_by == npc_supervisor
        assert decision.proposed_lead == units["civil"]
        assert decision.proposed_lead_confidence == pytest.approx(shown.lead.confidence, 1e-3)

    def test_changing_records_a_changed_decision(self, login, npc_supervisor, units, make_item):
        item = make_item(CIVIL)
        client = login(npc_supervisor)
        url = reverse("proposals:assign", args=[item.pk])
        shown = client.get(url).context["suggestion"]
        client.post(url, {"suggestion": shown.signed(), "lead_unit": units["edu"].pk})
        decision = RoutingDecision.objects.get(proposal=item)
        assert not decision.lead_accepted and not decision.accepted
        assert decision.proposed_lead == units["civil"] and decision.chosen_lead == units["edu"]
        assert item.assignments.get(role=AssignmentRole.LEAD).unit == units["edu"]

    def test_a_forged_or_missing_proposal_records_nothing(
        self, login, npc_supervisor, units, make_item
    ):
        item, other = make_item(CIVIL), make_item(ROADS)
        client = login(npc_supervisor)
        other_shown = client.get(reverse("proposals:assign", args=[other.pk])).context["suggestion"]
        url = reverse("proposals:assign", args=[item.pk])
        client.post(url, {"suggestion": other_shown.signed(), "lead_unit": units["civil"].pk})
        assert not RoutingDecision.objects.exists()  # the token was for another item
        item.refresh_from_db()
        assert item.status == ProposalStatus.ASSIGNED


@pytest.mark.django_db
class TestQueue:
    def test_rows_show_proposals_with_percentages(self, login, npc_supervisor, units, make_item):
        item = make_item(CIVIL)
        response = login(npc_supervisor).get(reverse("proposals:assign_queue"))
        html = response.content.decode()
        shown = dict((p.pk, s) for p, s in response.context["rows"])[item.pk]
        assert f"{shown.lead.percent}%" in html
        assert "主办：市民政局" in html
        assert "采用置信度不低于" in html

    def test_batch_takes_only_proposals_reaching_the_threshold(
        self, login, npc_supervisor, units, make_item
    ):
        strong, weak = make_item(CIVIL), make_item(VAGUE)
        found = suggestions.propose([strong, weak])
        high = found[strong.pk].percent
        low = found[weak.pk].percent if weak.pk in found else 0
        assert high > low
        client = login(npc_supervisor)
        response = client.post(
            reverse("proposals:assign_queue"),
            {"action": "adopt", "threshold": high, "items": [strong.pk, weak.pk]},
            follow=True,
        )
        text = response.content.decode()
        assert "已按建议交办 1 件" in text and "其余 1 件留待人工交办" in text
        strong.refresh_from_db()
        weak.refresh_from_db()
        assert strong.status == ProposalStatus.ASSIGNED
        assert weak.status == ProposalStatus.REGISTERED
        assert strong.assignments.get(role=AssignmentRole.LEAD).unit == units["civil"]
        decision = RoutingDecision.objects.get()
        assert decision.proposal == strong and decision.accepted and decision.mode == "batch_adopt"

    def test_batch_without_ticks_takes_the_filtered_items(
        self, login, npc_supervisor, units, make_item
    ):
        civil, roads = make_item(CIVIL), make_item(ROADS)
        client = login(npc_supervisor)
        client.post(reverse("proposals:assign_queue"), {"action": "adopt", "threshold": 1})
        civil.refresh_from_db()
        roads.refresh_from_db()
        assert civil.status == roads.status == ProposalStatus.ASSIGNED
        assert RoutingDecision.objects.filter(accepted=True).count() == 2

    def test_a_bad_threshold_is_refused(self, login, npc_supervisor, units, make_item):
        item = make_item(CIVIL)
        response = login(npc_supervisor).post(
            reverse("proposals:assign_queue"), {"action": "adopt", "threshold": "0"}
        )
        assert response.status_code == 200
        assert "1 到 100" in response.content.decode()
        item.refresh_from_db()
        assert item.status == ProposalStatus.REGISTERED

    def test_manual_batch_records_the_shown_proposals(
        self, login, npc_supervisor, units, make_item
    ):
        civil, roads = make_item(CIVIL), make_item(ROADS)
        login(npc_supervisor).post(
            reverse("proposals:assign_queue"),
            {"action": "assign", "items": [civil.pk, roads.pk], "lead_unit": units["civil"].pk},
        )
        decisions = {d.proposal_id: d for d in RoutingDecision.objects.all()}
        assert decisions[civil.pk].lead_accepted and decisions[civil.pk].mode == "batch"
        assert not decisions[roads.pk].lead_accepted

    def test_query_count_does_not_grow_with_rows(self, login, npc_supervisor, units, make_item):
        client = login(npc_supervisor)
        titles = [CIVIL, ROADS, PARKING[0]]
        for t in titles[:2]:
            make_item(t)
        url = reverse("proposals:assign_queue")
        client.get(url)  # fitted
        with CaptureQueriesContext(connection) as few:
            response = client.get(url)
        assert len(response.context["rows"]) == 2
        for i in range(15):
            make_item(f"{titles[i % 3]}（{i}）")
        client.get(url)
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
        assert len(response.context["rows"]) == 17
        assert all(s is not None for _, s in response.context["rows"])
        assert len(many) == len(few)


@pytest.mark.django_db
def test_accuracy_page(login, npc_supervisor, units, make_item):
    client = login(npc_supervisor)
    items = [make_item(CIVIL), make_item(ROADS), make_item(CIVIL + "（二）")]
    for item in items[:2]:
        shown = suggestions.propose_one(item)
        assert shown is not None
        services.proposal_assign(
            proposal=item,
            actor=npc_supervisor,
            lead_unit=shown.lead.unit,
            suggestion=shown.record(),
        )
    shown = suggestions.propose_one(items[2])
    assert shown is not None
    services.proposal_assign(
        proposal=items[2], actor=npc_supervisor, lead_unit=units["edu"], suggestion=shown.record()
    )
    response = client.get(reverse("proposals:routing_accuracy"))
    assert response.context["overall"]["n"] == 3
    assert response.context["overall"]["lead"] == 2
    html = response.content.decode()
    assert "66.7%" in html
    assert items[0].meeting.name in html


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["unit_staff", "member", "anonymous"])
def test_only_supervisors(client, who, unit_staff, member, units, make_item):
    item = make_item(CIVIL)
    if who != "anonymous":
        client.force_login({"unit_staff": unit_staff, "member": member}[who])
    urls = [
        reverse("proposals:assign_queue"),
        reverse("proposals:assign", args=[item.pk]),
        reverse("proposals:routing_accuracy"),
    ]
    for url in urls:
        response = client.get(url)
        if who == "anonymous":
            assert response.status_code == 302 and "/login" in response["Location"]
        else:
            assert response.status_code == 403
    response = client.post(urls[0], {"action": "adopt", "threshold": 1})
    assert response.status_code in (302, 403)
    item.refresh_from_db()
    assert item.status == ProposalStatus.REGISTERED
    assert not RoutingDecision.objects.exists()


@pytest.mark.django_db
def test_a_supervisor_of_another_body_sees_no_links_to_items_it_cannot_open(
    login, npc_supervisor, cppcc_supervisor, units, make_item
):
    earlier = make_item(PARKING[0])
    services.proposal_assign(proposal=earlier, actor=npc_supervisor, lead_unit=units["parking"])
    new = make_item(PARKING_NEW)
    npc = suggestions.propose_one(new, bodies=npc_supervisor.supervised_bodies())
    cppcc = suggestions.propose_one(new, bodies=cppcc_supervisor.supervised_bodies())
    assert npc is not None and cppcc is not None
    assert [s.pk for s in npc.lead.similar] == [earlier.pk]
    assert cppcc.lead.similar == ()


@pytest.mark.django_db(transaction=True)
def test_a_change_is_refitted_in_the_background_while_the_fitted_model_answers(
    units, make_item, npc_supervisor
):
    """At scale a fit takes seconds: after a change the pages keep the fitted model and a
    background thread refits; within ROUTING_RECHECK_SECONDS nothing is even checked."""
    item = make_item(CIVIL)
    with override_settings(ROUTING_FIT_IN_BACKGROUND=True, ROUTING_RECHECK_SECONDS=0):
        first = suggestions.fitted()  # the first fit: the page waits for it
        assert first is not None and first.key
        services.proposal_assign(proposal=item, actor=npc_supervisor, lead_unit=units["civil"])
        assert suggestions.fitted() is first  # answered at once by the fitted model
        refit = suggestions._refitting
        assert refit is not None
        refit.join(timeout=30)
        second = suggestions.fitted()
        assert second is not first and item.pk in second.earlier
    with override_settings(ROUTING_RECHECK_SECONDS=3600):
        Unit.objects.filter(pk=units["edu"].pk).update(duties="负责留守儿童")
        assert suggestions.fitted() is second  # not checked again yet
