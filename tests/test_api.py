"""Every API endpoint, requested as every role and anonymously, as tests/test_urls.py walks the
pages: who may (200/201, or 400 where the rules refuse the step), who may not (404 for what they
cannot see, 403 for what they see but may not change, or a role that never may), 401 without a
login. Then: nothing of another unit or member in any list, stale writes refused (412),
a missing precondition (428), the pages' Chinese messages, and the per-user limit (429)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import Notification
from proposals import services
from proposals.models import EventAction, Proposal, ProposalEvent
from replies import services as reply_services

from .factories import UnitFactory, UserFactory

API = "/api/v1"
ROLES = [
    "anonymous",
    "lead",
    "invitee",
    "stranger",
    "npc_supervisor",
    "cppcc_supervisor",
    "unit_staff",
    "unit_leader",
    "administrator",
]
MEMBERS = ("lead", "invitee", "stranger")
BODY = (
    "我市3岁以下婴幼儿托育服务供需矛盾突出，普惠托位不足。建议将托育服务点纳入社区公共服务"
    "设施配套建设，并对普惠托育机构给予建设和运营补贴。"
)


@dataclass
class Case:
    name: str
    url: str  # formatted with the world's ids
    expected: dict[str, int]
    method: str = "get"
    data: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    default: int = 200  # for logged-in roles not named in `expected`
    anonymous: int = 401

    def status_for(self, role: str) -> int:
        if role == "anonymous":
            return self.anonymous
        return self.expected.get(role, self.default)


def only(*roles: str, status: int = 200, others: int = 403, **more: int) -> dict[str, int]:
    return {**dict.fromkeys(ROLES[1:], others), **dict.fromkeys(roles, status), **more}


CASES = [
    # items
    Case("item list", "/items/", {}),
    Case(
        "create draft",
        "/items/",
        only(*MEMBERS, status=201),
        method="post",
        data={"meeting": "{meeting}", "title": "关于加强社区养老服务的建议", "body": BODY},
    ),
    Case("draft", "/items/{draft}/", only("lead", "invitee", others=404)),
    Case(
        "submitted",
        "/items/{submitted}/",
        only("lead", "npc_supervisor", "administrator", others=404),
    ),
    Case(
        "assigned",
        "/items/{assigned}/",
        only("lead", "npc_supervisor", "administrator", "unit_staff", "unit_leader", others=404),
    ),
    Case("missing item", "/items/999999/", {}, default=404),
    Case(
        "edit draft",
        "/items/{draft}/",
        only("lead", invitee=403, stranger=404),
        method="patch",
        data={"title": "关于完善城市慢行交通系统建设的建议（修改）"},
        headers={"If-Match": "*"},
    ),
    Case(
        "edit submitted",
        "/items/{submitted}/",
        only(lead=403, invitee=404, stranger=404),
        method="patch",
        data={"title": "x"},
        headers={"If-Match": "*"},
    ),
    Case(
        "invite co-signer",
        "/items/{draft}/cosigners/",
        only("lead", status=201, invitee=403, stranger=404),
        method="post",
        data={"member": "{third_member}"},
    ),
    Case(
        "submit draft",
        "/items/{draft}/submit/",
        only("lead", invitee=403, stranger=404),
        method="post",
        data={"acknowledged": []},
    ),
    Case(
        "withdraw",
        "/items/{submitted}/withdraw/",
        only("lead", invitee=404, stranger=404),
        method="post",
        data={"reason": "问题已解决"},
    ),
    Case(
        "review",
        "/items/{submitted}/review/",
        only("npc_supervisor", cppcc_supervisor=404),
        method="post",
        data={"outcome": "register"},
    ),
    Case(
        "assign",
        "/items/{registered}/assign/",
        only("npc_supervisor", cppcc_supervisor=404),
        method="post",
        data={"lead_unit": "{unit}"},
    ),
    Case(
        "close before the replies (refused by the rules)",
        "/items/{assigned}/close/",
        only("npc_supervisor", status=400, cppcc_supervisor=404),
        method="post",
        data={"reason": "x"},
    ),
    Case(
        "rehandle without a 不满意 (refused by the rules)",
        "/items/{assigned}/rehandle/",
        only("npc_supervisor", status=400, cppcc_supervisor=404),
        method="post",
        data={"replies": []},
    ),
    # co-signing
    Case("invitations", "/invitations/", only(*MEMBERS)),
    Case(
        "answer invitation",
        "/invitations/{invitation}/respond/",
        only("invitee", lead=404, stranger=404),
        method="post",
        data={"accept": True},
    ),
    Case(
        "cancel invitation",
        "/invitations/{invitation}/cancel/",
        only("lead", invitee=404, stranger=404),
        method="post",
    ),
    # handling
    Case("assignments", "/assignments/", {}),
    Case(
        "accept own (already accepted)",
        "/assignments/{lead_assignment}/accept/",
        only("unit_staff", "unit_leader", status=400),
        method="post",
    ),
    Case(
        "accept another unit's",
        "/assignments/{co_assignment}/accept/",
        only("unit_staff", "unit_leader", status=404),
        method="post",
    ),
    Case(
        "return request after acceptance",
        "/assignments/{lead_assignment}/return-requests/",
        only("unit_staff", "unit_leader", status=400),
        method="post",
        data={"reason": "不属于本单位职责"},
    ),
    Case(
        "extension request (one is pending)",
        "/assignments/{lead_assignment}/extension-requests/",
        only("unit_staff", "unit_leader", status=400),
        method="post",
        data={"reason": "需要调研", "requested_due_on": "{later}"},
    ),
    Case(
        "contact",
        "/assignments/{lead_assignment}/contacts/",
        only("unit_staff", "unit_leader", status=201),
        method="post",
        data={
            "method": "phone",
            "contacted_on": "{today}",
            "participants": "何红",
            "notes": "电话沟通",
        },
    ),
    Case(
        "co-opinion of another unit's assignment",
        "/assignments/{co_assignment}/co-opinion/",
        only("unit_staff", "unit_leader", status=404),
        method="post",
        data={"text": "意见"},
    ),
    Case(
        "start reply (the open draft)",
        "/assignments/{lead_assignment}/reply/",
        only("unit_staff", "unit_leader", status=201),
        method="post",
    ),
    Case(
        "decide return request (waiting for the unit's leader)",
        "/return-requests/{return_request}/decide/",
        only("unit_leader", npc_supervisor=403, cppcc_supervisor=404),
        method="post",
        data={"approve": False, "note": "属于本单位职责"},
    ),
    Case(
        "decide extension request (waiting for the unit's leader)",
        "/extension-requests/{extension_request}/decide/",
        only("unit_leader", npc_supervisor=403, cppcc_supervisor=404),
        method="post",
        data={"approve": True},
    ),
    Case(
        "answer contact",
        "/contacts/{contact}/respond/",
        only("lead", invitee=404, stranger=404),
        method="post",
        data={"confirm": True},
    ),
    Case(
        "decide another unit's co-opinion",
        "/co-opinions/{co_opinion}/decide/",
        only(unit_leader=404),
        method="post",
        data={"approve": True},
    ),
    # replies
    Case("replies", "/replies/", {}),
    Case("draft reply", "/replies/{draft_reply}/", only("unit_staff", "unit_leader", others=404)),
    Case(
        "save draft reply",
        "/replies/{draft_reply}/",
        only("unit_staff", "unit_leader"),
        method="patch",
        data={"thanks": "感谢您对民政工作的关心和支持。"},
        headers={"If-Match": '"reply-{draft_reply}-v1"'},
    ),
    Case(
        "send incomplete reply for signing",
        "/replies/{draft_reply}/submit/",
        only("unit_staff", "unit_leader", status=400),
        method="post",
    ),
    Case(
        "sign incomplete reply",
        "/replies/{draft_reply}/sign/",
        only("unit_leader", status=400),
        method="post",
    ),
    Case(
        "send back a draft",
        "/replies/{draft_reply}/send-back/",
        only("unit_leader", status=400, npc_supervisor=404, cppcc_supervisor=404),
        method="post",
        data={"comment": "请补充"},
    ),
    Case(
        "approve a draft",
        "/replies/{draft_reply}/approve/",
        only(npc_supervisor=404, cppcc_supervisor=404),
        method="post",
        data={},
    ),
    Case(
        "evaluate a draft",
        "/replies/{draft_reply}/evaluate/",
        only(lead=404, invitee=404, stranger=404),
        method="post",
        data={
            "work_rating": "satisfied",
            "result_rating": "satisfied",
            "contacted": True,
            "face_to_face": False,
        },
    ),
    Case("evaluations", "/evaluations/", {}),
    # notifications
    Case("notifications", "/notifications/", {}),
    Case(
        "read the invitee's notice",
        "/notifications/{notice}/read/",
        only("invitee", others=404),
        method="post",
    ),
    Case("read all", "/notifications/read-all/", {}, method="post"),
    # the public portal: anonymous too
    Case("public replies", "/public/replies/", {}, anonymous=200),
    Case("public reply", "/public/replies/{published_reply}/", {}, anonymous=200),
    Case("unpublished reply", "/public/replies/{draft_reply}/", {}, default=404, anonymous=404),
]


@pytest.fixture(autouse=True)
def _fresh_throttle_counts() -> None:
    cache.clear()


@pytest.fixture
def world(
    member,
    other_member,
    third_member,
    npc_supervisor,
    cppcc_supervisor,
    unit_staff,
    unit_leader,
    administrator,
    npc_meeting,
    npc_category,
    unit,
):
    def item(title: str, lead: Any = member) -> Proposal:
        return services.proposal_create(
            author=lead, meeting=npc_meeting, title=title, body=BODY, category=npc_category
        )

    draft = item("关于完善城市慢行交通系统建设的建议")
    invitation = services.cosigner_invite(proposal=draft, actor=member, member=other_member)
    submitted = item("关于扩大普惠托育服务供给的建议")
    services.proposal_submit(proposal=submitted, actor=member)
    registered = item("关于加快推进老旧小区加装电梯工作的建议")
    services.proposal_submit(proposal=registered, actor=member)
    services.proposal_register(proposal=registered, actor=npc_supervisor)
    assigned = item("关于引导社会组织参与未成年人保护的建议")
    services.proposal_submit(proposal=assigned, actor=member)
    services.proposal_register(proposal=assigned, actor=npc_supervisor)
    co_unit = UnitFactory(name="共青团杭州市委员会", short_name="团市委")
    co_staff = UserFactory(username="tsw", role="unit_staff", unit=co_unit)
    services.proposal_assign(
        proposal=assigned, actor=npc_supervisor, lead_unit=unit, co_units=[co_unit]
    )
    lead_assignment = assigned.assignments.get(role="lead")
    co_assignment = assigned.assignments.get(role="co")
    services.assignment_accept(assignment=co_assignment, actor=co_staff)
    return_request = services.return_request_create(
        assignment=lead_assignment, actor=unit_staff, reason="x"
    )
    services.assignment_accept(assignment=lead_assignment, actor=unit_leader)
    extension_request = services.extension_request_create(
        assignment=lead_assignment,
        actor=unit_staff,
        reason="x",
        requested_due_on=lead_assignment.due_on + timedelta(days=10),
    )
    contact = services.contact_record_create(
        assignment=lead_assignment,
        actor=unit_staff,
        method="phone",
        contacted_on=timezone.localdate(),
        participants="何红",
        notes="电话",
    )
    draft_reply = reply_services.reply_start(assignment=lead_assignment, actor=unit_staff)
    co_opinion = services.co_opinion_save(
        assignment=co_assignment, actor=co_staff, text="意见", submit=True
    )
    # another member's item, handled by the other unit alone: in nobody's list here but the
    # office's and the administrator's
    foreign = item("关于加强校园周边交通安全管理的建议", lead=third_member)
    services.proposal_submit(proposal=foreign, actor=third_member)
    services.proposal_register(proposal=foreign, actor=npc_supervisor)
    services.proposal_assign(proposal=foreign, actor=npc_supervisor, lead_unit=co_unit)
    foreign_assignment = foreign.assignments.get()
    services.assignment_accept(assignment=foreign_assignment, actor=co_staff)
    published_reply = _sent_public_reply(foreign_assignment, co_unit, npc_supervisor)
    users = {
        "lead": member,
        "invitee": other_member,
        "stranger": third_member,
        "npc_supervisor": npc_supervisor,
        "cppcc_supervisor": cppcc_supervisor,
        "unit_staff": unit_staff,
        "unit_leader": unit_leader,
        "administrator": administrator,
    }
    ids = {
        "meeting": npc_meeting.pk,
        "unit": unit.pk,
        "third_member": third_member.pk,
        "draft": draft.pk,
        "submitted": submitted.pk,
        "registered": registered.pk,
        "assigned": assigned.pk,
        "foreign": foreign.pk,
        "invitation": invitation.pk,
        "lead_assignment": lead_assignment.pk,
        "co_assignment": co_assignment.pk,
        "foreign_assignment": foreign_assignment.pk,
        "return_request": return_request.pk,
        "extension_request": extension_request.pk,
        "contact": contact.pk,
        "co_opinion": co_opinion.pk,
        "draft_reply": draft_reply.pk,
        "published_reply": published_reply.pk,
        "notice": Notification.objects.filter(recipient=other_member).first().pk,
        "today": timezone.localdate().isoformat(),
        "later": (lead_assignment.due_on + timedelta(days=20)).isoformat(),
    }
    return users, ids


def _sent_public_reply(assignment: Any, unit: Any, supervisor: Any) -> Any:
    """A reply of `unit` sent today and published at once (a meeting policy of day 0)."""
    leader = UserFactory(username=f"leader{unit.pk}", role="unit_leader", unit=unit)
    meeting = assignment.proposal.meeting
    meeting.publication_working_days = 0
    meeting.save(update_fields=["publication_working_days"])
    reply = reply_services.reply_start(assignment=assignment, actor=leader)
    reply = reply_services.reply_save(
        reply=reply,
        actor=leader,
        version=reply.version,
        result_class="A",
        body_html="<p>已在校园周边增设护学岗。</p>",
    )
    reply_services.reply_sign(reply=reply, actor=leader)
    reply_services.reply_approve(reply=reply, actor=supervisor)
    reply.refresh_from_db()
    assert reply.status == "sent" and reply.is_published
    return reply


def fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        found = ids[value[1:-1]]
        return found
    if isinstance(value, dict):
        return {key: fill(item, ids) for key, item in value.items()}
    return value


def request(client: Client, method: str, url: str, data: Any = None, **headers: str) -> Any:
    return getattr(client, method)(
        url,
        data if method == "get" else data or {},
        content_type="application/json",
        headers=headers,
    )


class Rollback(Exception):
    """Undoes one role's request, so that every role meets the same world."""


def status_as(role: str, case: Case, users: dict[str, Any], ids: dict[str, Any]) -> str:
    """The request of `case` as `role`, undone afterwards; "" if it got the expected status."""
    client = Client()
    if role != "anonymous":
        client.force_login(users[role])
    url = API + case.url.format(**ids)
    headers = {name: value.format(**ids) for name, value in case.headers.items()}
    expected = case.status_for(role)
    problem = ""
    try:
        with transaction.atomic():
            response = request(client, case.method, url, fill(case.data, ids), **headers)
            if response.status_code != expected:
                problem = (
                    f"{role}: {response.status_code} (not {expected}) {response.content!r:.200}"
                )
            elif expected >= 400:
                body = response.json()
                if not (body.get("detail") and body.get("code")):
                    problem = f"{role}: a refusal without a message"  # every refusal says why
                elif expected == 401 and body["detail"] != "请先登录。":
                    problem = f"{role}: {body['detail']}"
            raise Rollback
    except Rollback:
        pass
    return problem


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_status_by_role(world, case: Case) -> None:
    """Each case as every role, anonymous included; each role's request is undone before the
    next one's (one world per case instead of one per case and role: 9x faster)."""
    users, ids = world
    problems = [status_as(role, case, users, ids) for role in ROLES]
    assert [p for p in problems if p] == [], f"{case.method.upper()} {case.url}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES[1:])
def test_lists_hold_nothing_of_another_unit_or_member(world, role: str) -> None:
    users, ids = world
    user = users[role]
    client = Client()
    client.force_login(user)

    def rows(url: str) -> list[dict[str, Any]]:
        response = client.get(f"{API}{url}?page_size=100")
        assert response.status_code == 200, url
        return response.json()["results"]

    items = {row["id"] for row in rows("/items/")}
    assert items == set(Proposal.objects.for_user(user).values_list("pk", flat=True))
    assignments = rows("/assignments/")
    replies = rows("/replies/")
    if role in ("lead", "invitee", "unit_staff", "unit_leader"):
        # the other member's item, handled by the other unit alone, is none of their business
        assert ids["foreign"] not in items
        assert ids["foreign_assignment"] not in {row["id"] for row in assignments}
        assert all(row["item"] != ids["foreign"] for row in replies)
    if role in ("unit_staff", "unit_leader"):
        assert {row["unit"] for row in assignments} == {user.unit.name}
        assert ids["draft_reply"] in {row["id"] for row in replies}
    else:
        assert ids["draft_reply"] not in {row["id"] for row in replies}
    if role == "stranger":
        # their own item only: nothing of the other member's, drafts and invitations included
        assert items == {ids["foreign"]}
        assert {row["item"] for row in assignments} == {ids["foreign"]}
        assert {row["id"] for row in replies} == {ids["published_reply"]}
    notices = rows("/notifications/")
    assert {row["id"] for row in notices} == set(
        Notification.objects.filter(recipient=user).values_list("pk", flat=True)
    )
    if role in MEMBERS:
        invitations = rows("/invitations/")
        assert {row["id"] for row in invitations} == set(
            user.cosignatures.values_list("pk", flat=True)
        )


@pytest.mark.django_db
def test_item_detail_hides_what_the_page_hides(world) -> None:
    users, ids = world
    client = Client()
    client.force_login(users["lead"])
    detail = client.get(f"{API}/items/{ids['assigned']}/").json()
    # the member sees that a return was asked for, not why; no request list, no draft reply
    asked = [e for e in detail["timeline"] if e["action"] == EventAction.RETURN_REQUESTED]
    assert asked and asked[0]["note"] == ""
    assert detail["return_requests"] == [] and detail["replies"] == []
    client.force_login(users["unit_staff"])
    detail = client.get(f"{API}/items/{ids['assigned']}/").json()
    asked = [e for e in detail["timeline"] if e["action"] == EventAction.RETURN_REQUESTED]
    assert asked[0]["note"] == "市民政局：x"
    assert [r["id"] for r in detail["replies"]] == [ids["draft_reply"]]


@pytest.mark.django_db
def test_a_stale_draft_write_is_refused(world) -> None:
    users, ids = world
    client = Client()
    client.force_login(users["lead"])
    url = f"{API}/items/{ids['draft']}/"
    read = client.get(url)
    etag, modified = read["ETag"], read["Last-Modified"]
    first = client.patch(
        url, {"title": "第一次修改"}, content_type="application/json", headers={"If-Match": etag}
    )
    assert first.status_code == 200 and first["ETag"] != etag
    for stale in ({"If-Match": etag}, {"If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}):
        refused = client.patch(
            url, {"title": "第二次修改"}, content_type="application/json", headers=stale
        )
        assert refused.status_code == 412
        assert "已被修改" in refused.json()["detail"]
    missing = client.patch(url, {"title": "没有条件"}, content_type="application/json")
    assert missing.status_code == 428
    assert Proposal.objects.get(pk=ids["draft"]).title == "第一次修改"
    assert modified  # If-Unmodified-Since can be taken from Last-Modified
    edits = ProposalEvent.objects.filter(proposal_id=ids["draft"], action=EventAction.EDITED)
    assert edits.count() == 1 and edits.get().actor == users["lead"]


@pytest.mark.django_db
def test_a_stale_reply_save_gets_the_pages_message(world) -> None:
    users, ids = world
    staff, leader = Client(), Client()
    staff.force_login(users["unit_staff"])
    leader.force_login(users["unit_leader"])
    url = f"{API}/replies/{ids['draft_reply']}/"
    etag = staff.get(url)["ETag"]
    assert (
        leader.patch(
            url, {"thanks": "谢谢"}, content_type="application/json", headers={"If-Match": etag}
        ).status_code
        == 200
    )
    refused = staff.patch(
        url, {"thanks": "感谢"}, content_type="application/json", headers={"If-Match": etag}
    )
    assert refused.status_code == 412
    assert "您的修改没有保存，以免覆盖对方的内容" in refused.json()["detail"]
    assert staff.get(url).json()["thanks"] == "谢谢"


@pytest.mark.django_db
def test_refusals_carry_the_services_chinese_messages(world) -> None:
    users, ids = world
    client = Client()
    client.force_login(users["npc_supervisor"])
    response = client.post(
        f"{API}/items/{ids['submitted']}/review/",
        {"outcome": "reject", "rejection_ground": "other", "note": " "},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "请写明不予立案的说明，代表委员会看到这段话。"
    assert body["errors"] == {"note": ["请写明不予立案的说明，代表委员会看到这段话。"]}
    assert Proposal.objects.get(pk=ids["submitted"]).status == "submitted"
    client.force_login(users["lead"])
    response = client.post(
        f"{API}/items/{ids['assigned']}/withdraw/", {}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["errors"]["reason"]


@pytest.mark.django_db
def test_a_user_past_the_limit_gets_429_with_retry_after(world, settings) -> None:
    users, _ids = world
    settings.API_RATE_USER = "3/min"
    client = Client()
    client.force_login(users["lead"])
    statuses = [client.get(f"{API}/items/").status_code for _ in range(3)]
    refused = client.get(f"{API}/items/")
    assert statuses == [200, 200, 200] and refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["detail"].startswith("请求过于频繁")
    # the limit is per user: another user is not held back
    other = Client()
    other.force_login(users["invitee"])
    assert other.get(f"{API}/items/").status_code == 200


@pytest.mark.django_db
def test_anonymous_readers_of_the_public_replies_are_limited_by_address(world, settings) -> None:
    settings.API_RATE_ANON = "2/min"
    client = Client()
    assert [client.get(f"{API}/public/replies/").status_code for _ in range(3)] == [200, 200, 429]


@pytest.mark.django_db
def test_public_replies_show_what_the_portal_shows(world) -> None:
    _users, ids = world
    rows = Client().get(f"{API}/public/replies/").json()["results"]
    assert [row["id"] for row in rows] == [ids["published_reply"]]
    detail = Client().get(f"{API}/public/replies/{ids['published_reply']}/").json()
    assert detail["body_html"] == "<p>已在校园周边增设护学岗。</p>"
    assert "phone" not in str(detail.keys())


def test_the_schema_validates(tmp_path) -> None:
    """drf-spectacular's own check: every endpoint and field described, no warning."""
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    text = (tmp_path / "schema.yaml").read_text(encoding="utf-8")
    assert "/api/v1/items/{id}/" in text and "建议提案列表 / List items" in text


@pytest.mark.django_db
def test_the_schema_and_docs_are_served(client, member) -> None:
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 302  # the docs page wants a login
    client.force_login(member)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assert b"swagger-ui-bundle.js" in page.content and b"api/docs.js" in page.content


@pytest.mark.django_db
def test_list_filters_are_the_pages_own(world) -> None:
    users, ids = world
    client = Client()
    client.force_login(users["npc_supervisor"])
    page = client.get("/items/", {"status": "submitted"})
    api = client.get(f"{API}/items/", {"status": "submitted"}).json()["results"]
    assert [row["id"] for row in api] == [ids["submitted"]]
    assert page.status_code == 200 and ids["submitted"] in {p.pk for p in page.context["page"]}
    by_unit = client.get(f"{API}/items/", {"unit": ids["unit"]}).json()["results"]
    assert [row["id"] for row in by_unit] == [ids["assigned"]]
    client.force_login(users["unit_staff"])
    accepted = client.get(f"{API}/assignments/", {"status": "accepted"}).json()["results"]
    assert [row["id"] for row in accepted] == [ids["lead_assignment"]]
    assert client.get(f"{API}/assignments/", {"status": "assigned"}).json()["results"] == []
    # a value the filter refuses is a 400 with its message, not a 500
    refused = client.get(f"{API}/items/", {"status": "nonsense"})
    assert refused.status_code == 400 and refused.json()["errors"]["status"]


@pytest.mark.django_db
def test_cursor_pages_hold_every_row_once(world) -> None:
    users, _ids = world
    client = Client()
    client.force_login(users["npc_supervisor"])
    seen: list[int] = []
    url: str | None = f"{API}/items/?page_size=2"
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    expected = Proposal.objects.for_user(users["npc_supervisor"]).order_by("-id")
    assert seen == list(expected.values_list("pk", flat=True)) and len(seen) > 2


@pytest.mark.django_db
def test_a_session_write_needs_the_csrf_token(world) -> None:
    users, ids = world
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["lead"])
    url = f"{API}/items/{ids['submitted']}/withdraw/"
    refused = client.post(url, {"reason": "问题已解决"}, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert Proposal.objects.get(pk=ids["submitted"]).status == "submitted"
    token = client.get("/api/docs/").context["csrf_token"]
    allowed = client.post(
        url,
        {"reason": "问题已解决"},
        content_type="application/json",
        headers={"X-CSRFToken": str(token)},
    )
    assert allowed.status_code == 200 and allowed.json()["status"] == "withdrawn"


@pytest.mark.django_db
def test_input_errors_are_in_chinese(world) -> None:
    users, ids = world
    client = Client()
    client.force_login(users["npc_supervisor"])
    response = client.post(
        f"{API}/items/{ids['submitted']}/review/", {}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["outcome"] == ["该字段是必填项。"]


# --- fuzzing: no JSON body and no id in the path makes a server error ------------------------

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
WRITES = [case for case in CASES if case.method != "get"]
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text(max_size=30)
    | st.sampled_from(["", " ", "\x00", "2026-02-30", "9" * 30, "<script>", "A", "{meeting}"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


@pytest.mark.django_db
@pytest.mark.parametrize("case", WRITES, ids=lambda c: c.name)
def test_no_json_body_makes_a_server_error(world, case: Case) -> None:
    users, ids = world
    role = next(role for role in ROLES[1:] if case.status_for(role) < 400 or role == "lead")
    client = Client()
    client.force_login(users[role])
    url = API + case.url.format(**ids)
    headers = {name: value.format(**ids) for name, value in case.headers.items()}
    keys = sorted((case.data or {}).keys())

    @hypothesis_settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        body=st.fixed_dictionaries({}, optional={key: JSON_VALUES for key in keys}) | JSON_VALUES
    )
    def fuzz(body: Any) -> None:
        with transaction.atomic():
            response = getattr(client, case.method)(
                url, json.dumps(body), content_type="application/json", headers=headers
            )
            transaction.set_rollback(True)
        assert response.status_code < 500, (role, url, body)
        assert response.json()["detail"] if response.status_code >= 400 else True

    fuzz()


@pytest.mark.django_db
@pytest.mark.parametrize("pk", ["0", "2147483648", "9223372036854775808", "9" * 40])
def test_ids_out_of_range_in_the_path_are_not_found(world, pk: str) -> None:
    users, _ids = world
    urls = {re.sub(r"\{[a-z_]+\}", pk, API + case.url) for case in CASES if "{" in case.url}
    for role in ("lead", "npc_supervisor", "unit_leader"):
        client = Client()
        client.force_login(users[role])
        for url in sorted(urls):
            for method in ("get", "post", "patch"):
                response = getattr(client, method)(
                    url,
                    None if method == "get" else "{}",
                    content_type="application/json",
                    headers={"If-Match": "*"},
                )
                assert response.status_code in (400, 403, 404, 405, 412), (role, method, url)
