"""Every URL, requested as every role and as an anonymous visitor: the status each gets.

Missing and not-yours look the same (404); a role that never may use a page gets 403;
anonymous visitors are sent to the login page (302).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts import api_tokens
from proposals import services
from replies import services as reply_services

from .factories import UnitFactory, UserFactory

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
MEMBERS = {"lead": 200, "invitee": 200, "stranger": 200}
NON_MEMBERS_403 = {
    "npc_supervisor": 403,
    "cppcc_supervisor": 403,
    "unit_staff": 403,
    "unit_leader": 403,
    "administrator": 403,
}


@dataclass
class Case:
    name: str
    url: str  # formatted with the world's ids
    expected: dict[str, int]
    method: str = "get"
    data: dict[str, str] = field(default_factory=dict)
    default: int = 200  # for logged-in roles not named in `expected`

    def status_for(self, role: str) -> int:
        if role in self.expected:
            return self.expected[role]
        return 302 if role == "anonymous" else self.default


CASES = [
    Case("home", "/", {}),
    Case("login", "/login/", {"anonymous": 200}, default=302),
    Case("password change", "/password/", {}),
    Case("item list", "/items/", {}),
    Case("create", "/items/new/", {**MEMBERS, **NON_MEMBERS_403}),
    Case(
        "review queue",
        "/items/review/",
        {"npc_supervisor": 200, "cppcc_supervisor": 200},
        default=403,
    ),
    Case(
        "handling report",
        "/reports/",
        {"npc_supervisor": 200, "cppcc_supervisor": 200},
        default=403,
    ),
    Case("invitations", "/items/invitations/", {**MEMBERS}, default=403),
    Case("draft detail", "/items/{draft}/", {"lead": 200, "invitee": 200}, default=404),
    Case(
        "submitted detail",
        "/items/{submitted}/",
        {"lead": 200, "npc_supervisor": 200, "administrator": 200},
        default=404,
    ),
    Case(
        "edit draft",
        "/items/{draft}/edit/",
        {"lead": 200, "invitee": 403, "stranger": 404},
        default=403,
    ),
    Case(
        "edit submitted",
        "/items/{submitted}/edit/",
        {"lead": 403, "invitee": 404, "stranger": 404},
        default=403,
    ),
    Case(
        "submit draft",
        "/items/{draft}/submit/",
        {"lead": 302, "invitee": 403, "stranger": 404},
        method="post",
        default=403,
    ),
    Case(
        "withdraw",
        "/items/{submitted}/withdraw/",
        {"lead": 200, "invitee": 404, "stranger": 404},
        default=403,
    ),
    Case(
        "invite co-signers",
        "/items/{draft}/cosigners/",
        {"lead": 200, "invitee": 403, "stranger": 404},
        default=403,
    ),
    Case(
        "review",
        "/items/{submitted}/review/",
        {"npc_supervisor": 200, "cppcc_supervisor": 404},
        default=403,
    ),
    Case(
        "cancel invitation",
        "/items/cosigners/{invitation}/cancel/",
        {"lead": 302, "invitee": 404, "stranger": 404},
        method="post",
        default=403,
    ),
    Case(
        "answer invitation",
        "/items/cosigners/{invitation}/respond/",
        {"lead": 404, "invitee": 302, "stranger": 404},
        method="post",
        data={"answer": "confirm"},
        default=403,
    ),
    Case(
        "download attachment",
        "/items/attachments/{attachment}/",
        {"lead": 200, "npc_supervisor": 200, "administrator": 200},
        default=404,
    ),
    Case(
        "download draft attachment",
        "/items/attachments/{draft_attachment}/",
        {"lead": 200, "invitee": 200},
        default=404,
    ),
    Case(
        "delete draft attachment",
        "/items/attachments/{draft_attachment}/delete/",
        {"lead": 302, "invitee": 403, "stranger": 404},
        method="post",
        default=403,
    ),
    Case("missing item", "/items/999999/", {}, default=404),
    # handling
    Case(
        "assigned detail",
        "/items/{assigned}/",
        {
            "lead": 200,
            "npc_supervisor": 200,
            "administrator": 200,
            "unit_staff": 200,
            "unit_leader": 200,
        },
        default=404,
    ),
    Case(
        "assign queue",
        "/items/assign/",
        {"npc_supervisor": 200, "cppcc_supervisor": 200},
        default=403,
    ),
    Case(
        "assign one",
        "/items/{registered}/assign/",
        {"npc_supervisor": 200, "cppcc_supervisor": 404},
        default=403,
    ),
    Case(
        "request queue",
        "/items/requests/",
        {"npc_supervisor": 200, "cppcc_supervisor": 200},
        default=403,
    ),
    Case("unit workspace", "/items/work/", {"unit_staff": 200, "unit_leader": 200}, default=403),
    Case(
        "accept own (already accepted: message and redirect)",
        "/items/assignments/{lead_assignment}/accept/",
        {"unit_staff": 302, "unit_leader": 302},
        method="post",
        default=403,
    ),
    Case(
        "accept other unit's",
        "/items/assignments/{co_assignment}/accept/",
        {"unit_staff": 404, "unit_leader": 404},
        method="post",
        default=403,
    ),
    Case(
        "return form",
        "/items/assignments/{lead_assignment}/return/",
        {"unit_staff": 200, "unit_leader": 200},
        default=403,
    ),
    Case(
        "return other unit's",
        "/items/assignments/{co_assignment}/return/",
        {"unit_staff": 404, "unit_leader": 404},
        default=403,
    ),
    Case(
        "extension form",
        "/items/assignments/{lead_assignment}/extend/",
        {"unit_staff": 200, "unit_leader": 200},
        default=403,
    ),
    Case(
        "opinion on a lead assignment",
        "/items/assignments/{lead_assignment}/opinion/",
        {"unit_staff": 403, "unit_leader": 403},
        default=403,
    ),
    Case(
        "contact form",
        "/items/assignments/{lead_assignment}/contacts/new/",
        {"unit_staff": 200, "unit_leader": 200},
        default=403,
    ),
    Case(
        "return request",
        "/items/returns/{return_request}/",
        {"unit_staff": 200, "unit_leader": 200, "npc_supervisor": 200, "cppcc_supervisor": 404},
        default=403,
    ),
    Case(
        "extension request",
        "/items/extensions/{extension_request}/",
        {"unit_staff": 200, "unit_leader": 200, "npc_supervisor": 200, "cppcc_supervisor": 404},
        default=403,
    ),
    Case(
        "decide other unit's opinion",
        "/items/opinions/{co_opinion}/decide/",
        {"unit_leader": 404},
        method="post",
        data={"decision": "approve"},
        default=403,
    ),
    Case(
        "answer contact",
        "/items/contacts/{contact}/respond/",
        {"lead": 302, "invitee": 404, "stranger": 404},
        method="post",
        data={"answer": "confirm"},
        default=403,
    ),
    Case("notifications", "/notifications/", {}),
    # supervision
    Case(
        "dashboard",
        "/items/dashboard/",
        {"npc_supervisor": 200, "cppcc_supervisor": 200},
        default=403,
    ),
    Case(
        "scorecards",
        "/items/scorecards/",
        {"npc_supervisor": 200, "cppcc_supervisor": 200},
        default=403,
    ),
    Case(
        "scorecards export",
        "/items/scorecards/export.xlsx",
        {"npc_supervisor": 200, "cppcc_supervisor": 200},
        default=403,
    ),
    Case("urging", "/items/urging/", {"npc_supervisor": 200, "cppcc_supervisor": 200}, default=403),
    Case("item list export", "/items/export.xlsx", {}),
    Case(
        "item export columns",
        "/items/export/columns/",
        {},
        method="post",
        data={"export-columns": "title", "export-query": "status=closed"},
        default=302,
    ),
    Case(
        "workspace export",
        "/items/work/export.xlsx",
        {"unit_staff": 200, "unit_leader": 200},
        default=403,
    ),
    Case(
        "follow-up export",
        "/items/follow-ups/export.xlsx",
        {"unit_staff": 200, "unit_leader": 200, "npc_supervisor": 200, "cppcc_supervisor": 200},
        default=403,
    ),
    # the public portal: open to everyone, logged in or not
    Case("portal", "/public/", {"anonymous": 200}),
    Case("portal feed", "/public/feed/", {"anonymous": 200}),
    Case("portal sitemap", "/public/sitemap.xml", {"anonymous": 200}),
    Case(
        "unpublished reply on the portal",
        "/public/replies/{draft_reply}/",
        {"anonymous": 404},
        default=404,
    ),
    # replies
    Case(
        "draft reply",
        "/replies/{draft_reply}/",
        {"unit_staff": 200, "unit_leader": 200},
        default=404,
    ),
    Case(
        "edit reply",
        "/replies/{draft_reply}/edit/",
        {"unit_staff": 200, "unit_leader": 200},
        default=403,
    ),
    Case(
        "preview reply",
        "/replies/{draft_reply}/preview.pdf",
        {"unit_staff": 200, "unit_leader": 200, "npc_supervisor": 404, "cppcc_supervisor": 404},
        default=403,
    ),
    Case("letter of a draft", "/replies/{draft_reply}/letter.pdf", {}, default=404),
    Case(
        "reply review queue",
        "/replies/review/",
        {"npc_supervisor": 200, "cppcc_supervisor": 200},
        default=403,
    ),
    Case(
        "letter archive",
        "/replies/letters/",
        {"npc_supervisor": 200, "cppcc_supervisor": 200},
        default=403,
    ),
    Case(
        "letter zip",
        "/replies/letters/{meeting}.zip",
        {"npc_supervisor": 200, "cppcc_supervisor": 404},
        default=403,
    ),
    Case(
        "start reply",
        "/replies/start/{lead_assignment}/",
        {"unit_staff": 302, "unit_leader": 302},
        method="post",
        default=403,
    ),
    Case(
        "sign reply",
        "/replies/{draft_reply}/sign/",
        {"unit_leader": 302},
        method="post",
        default=403,
    ),
    Case(
        "send back reply",
        "/replies/{draft_reply}/send-back/",
        {"unit_leader": 302, "npc_supervisor": 404, "cppcc_supervisor": 404},
        method="post",
        data={"comment": "x"},
        default=403,
    ),
    Case(
        "follow-up list",
        "/replies/follow-ups/",
        {"unit_staff": 200, "unit_leader": 200, "npc_supervisor": 200, "cppcc_supervisor": 200},
        default=403,
    ),
    Case(
        "follow-up of a draft",
        "/replies/{draft_reply}/follow-up/",
        {"unit_staff": 200, "unit_leader": 200},
        default=404,
    ),
    Case(
        "evaluate a draft",
        "/replies/{draft_reply}/evaluate/",
        {"lead": 404, "invitee": 404, "stranger": 404},
        method="post",
        default=403,
    ),
    Case(
        "paper evaluation of a draft",
        "/replies/{draft_reply}/evaluate/paper/",
        {"npc_supervisor": 404, "cppcc_supervisor": 404},
        default=403,
    ),
    Case(
        "rehandle",
        "/replies/items/{assigned}/rehandle/",
        {"npc_supervisor": 302, "cppcc_supervisor": 404},
        method="post",
        default=403,
    ),
    Case(
        "close",
        "/replies/items/{assigned}/close/",
        {"npc_supervisor": 302, "cppcc_supervisor": 404},
        method="post",
        default=403,
    ),
    Case(
        "approve reply",
        "/replies/{draft_reply}/approve/",
        {"npc_supervisor": 404, "cppcc_supervisor": 404},
        method="post",
        default=403,
    ),
    # 两步验证: nobody has a device here and no role requires one (the roles and devices are
    # walked in tests/test_two_factor.py, the security administrator's reset included)
    Case("second factor", "/accounts/otp/", {}),
    Case("second factor setup", "/accounts/otp/setup/", {}),
    Case("second factor verify", "/accounts/otp/verify/", {}, default=302),
    Case("recovery codes", "/accounts/otp/recovery/", {}, default=302),
    Case("second factor off", "/accounts/otp/disable/", {}, method="post", default=302),
    Case("second factor reset list", "/accounts/otp/reset/", {}, default=403),
    Case(
        "second factor reset",
        "/accounts/otp/reset/{draft}/",
        {},
        method="post",
        default=403,
    ),
    # 个人 API 令牌: each person's own; another's token is not found
    Case("API tokens", "/accounts/tokens/", {}),
    Case(
        "API token create",
        "/accounts/tokens/",
        {},
        method="post",
        data={"name": "OA 系统对接", "days": "90"},
    ),
    Case(
        "API token revoke page", "/accounts/tokens/{api_token}/revoke/", {"lead": 200}, default=404
    ),
    Case(
        "API token revoke",
        "/accounts/tokens/{api_token}/revoke/",
        {"lead": 302},
        method="post",
        default=404,
    ),
    # 履职档案 (member_records): a member their own only; supervisors every member of their body
    Case(
        "member records",
        "/records/",
        {
            "lead": 302,
            "invitee": 302,
            "stranger": 302,
            "npc_supervisor": 200,
            "cppcc_supervisor": 200,
        },
        default=403,
    ),
    Case("own record", "/records/me/", {**MEMBERS}, default=403),
    Case(
        "a member's record",
        "/records/{lead_member}/",
        {
            "lead": 200,
            "invitee": 404,
            "stranger": 404,
            "npc_supervisor": 200,
            "cppcc_supervisor": 404,
        },
        default=403,
    ),
    Case(
        "member records export",
        "/records/export/",
        {"npc_supervisor": 200, "cppcc_supervisor": 200},
        default=403,
    ),
    Case(
        "missing member's record",
        "/records/999999/",
        {
            "lead": 404,
            "invitee": 404,
            "stranger": 404,
            "npc_supervisor": 404,
            "cppcc_supervisor": 404,
        },
        default=403,
    ),
    # the security administrator's (tests/test_api_tokens.py); the system administrator may not
    Case("admin API tokens", "/admin/accounts/personaltoken/", {"administrator": 403}, default=302),
    Case("admin", "/admin/", {"administrator": 200}, default=302),
    Case("admin event log", "/admin/proposals/proposalevent/", {"administrator": 200}, default=302),
    Case(
        "admin event add",
        "/admin/proposals/proposalevent/add/",
        {"administrator": 403},
        default=302,
    ),
]

PDF = b"%PDF-1.4\n%%EOF\n"
# Titles as long as real ones: pages are also walked on a phone (tests/e2e/test_phone_layout.py),
# where a short title would hide a column squeezed to a character a line.
DRAFT_TITLE = "关于完善城市慢行交通系统建设的建议"
SUBMITTED_TITLE = "关于扩大普惠托育服务供给的建议"
REGISTERED_TITLE = "关于加快推进老旧小区加装电梯工作的建议"
ASSIGNED_TITLE = "关于引导社会组织参与未成年人保护的建议"


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
    draft = services.proposal_create(
        author=member,
        meeting=npc_meeting,
        title=DRAFT_TITLE,
        body="正文",
        category=npc_category,
        attachments=[SimpleUploadedFile("草稿附件.pdf", PDF)],
    )
    invitation = services.cosigner_invite(proposal=draft, actor=member, member=other_member)
    submitted = services.proposal_create(
        author=member,
        meeting=npc_meeting,
        title=SUBMITTED_TITLE,
        body="正文",
        category=npc_category,
        attachments=[SimpleUploadedFile("附件.pdf", PDF)],
    )
    services.proposal_submit(proposal=submitted, actor=member)
    registered = services.proposal_create(
        author=member, meeting=npc_meeting, title=REGISTERED_TITLE, body="x", category=npc_category
    )
    services.proposal_submit(proposal=registered, actor=member)
    services.proposal_register(proposal=registered, actor=npc_supervisor)
    assigned = services.proposal_create(
        author=member, meeting=npc_meeting, title=ASSIGNED_TITLE, body="x", category=npc_category
    )
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
    api_token = api_tokens.personal_token_create(user=member, name="OA 系统对接", days=90).token
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
        "draft": draft.pk,
        "submitted": submitted.pk,
        "invitation": invitation.pk,
        "attachment": submitted.attachments.get().pk,
        "draft_attachment": draft.attachments.get().pk,
        "registered": registered.pk,
        "assigned": assigned.pk,
        "lead_assignment": lead_assignment.pk,
        "co_assignment": co_assignment.pk,
        "return_request": return_request.pk,
        "extension_request": extension_request.pk,
        "contact": contact.pk,
        "co_opinion": co_opinion.pk,
        "draft_reply": draft_reply.pk,
        "meeting": npc_meeting.pk,
        "api_token": api_token.pk,
        "lead_member": member.pk,
    }
    return users, ids


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("role", ROLES)
def test_status_by_role(world, case: Case, role: str) -> None:
    users, ids = world
    client = Client()
    if role != "anonymous":
        client.force_login(users[role])
    url = case.url.format(**ids)
    response = getattr(client, case.method)(url, case.data)
    assert response.status_code == case.status_for(role), f"{role} {case.method.upper()} {url}"
    if role == "anonymous" and response.status_code == 302 and case.name != "login":
        assert "/login/" in response["Location"]
