"""A whole item's life through the API alone, from the draft to 办结: the member writes and
submits it with a co-signer, the supervisory office registers and assigns it, the unit accepts,
records a contact, drafts, submits and signs the reply, the office approves it, both signers
evaluate, the office closes it. Every step is in the item's event log with its actor."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from proposals.models import EventAction, Proposal, ProposalEvent, ProposalStatus

API = "/api/v1"
TITLE = "关于扩大普惠托育服务供给的建议"
BODY = (
    "我市3岁以下婴幼儿托育服务供需矛盾突出，普惠托位不足，收费偏高。建议一是将托育服务点纳入"
    "社区公共服务设施配套建设；二是对普惠托育机构给予建设和运营补贴；三是加强托育从业人员培训。"
)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def call(client: Client, method: str, url: str, data: Any = None, **headers: str) -> Any:
    response = getattr(client, method)(
        f"{API}{url}", data, content_type="application/json", headers=headers
    )
    return response


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content.decode())
    return response.json()


@pytest.mark.django_db
def test_an_item_lives_from_draft_to_closed_through_the_api(
    member,
    other_member,
    npc_supervisor,
    unit_staff,
    unit_leader,
    npc_meeting,
    npc_category,
    unit,
) -> None:
    lead, cosigner = client_for(member), client_for(other_member)
    office, staff, leader = (
        client_for(npc_supervisor),
        client_for(unit_staff),
        client_for(unit_leader),
    )

    # the member writes a draft, edits it with the ETag read, invites a co-signer
    created = call(
        lead,
        "post",
        "/items/",
        {"meeting": npc_meeting.pk, "title": TITLE, "category": npc_category.pk, "body": BODY},
    )
    item = ok(created, 201)
    pk = item["id"]
    assert item["status"] == "draft" and created["ETag"] == item["etag"]
    edited = ok(
        call(lead, "patch", f"/items/{pk}/", {"title": TITLE + "（修改）"}, If_Match=item["etag"])
    )
    assert edited["title"] == TITLE + "（修改）"
    invitation = ok(call(lead, "post", f"/items/{pk}/cosigners/", {"member": other_member.pk}), 201)
    invitations = ok(call(cosigner, "get", "/invitations/"))["results"]
    assert [row["id"] for row in invitations] == [invitation["id"]]
    ok(call(cosigner, "post", f"/invitations/{invitation['id']}/respond/", {"accept": True}))

    # submission, as on the page: the pre-check's warnings are acknowledged by their codes
    submitted = call(lead, "post", f"/items/{pk}/submit/", {})
    if submitted.status_code == 400 and "acknowledged" in submitted.json().get("errors", {}):
        from proposals import precheck, sections

        proposal = Proposal.objects.get(pk=pk)
        codes = precheck.precheck(
            user=member,
            meeting=npc_meeting,
            title=proposal.title,
            texts=sections.texts_of(proposal),
            exclude=pk,
        ).warning_codes
        submitted = call(lead, "post", f"/items/{pk}/submit/", {"acknowledged": codes})
    assert ok(submitted)["status"] == "submitted"

    # 立案 and 交办 by the supervisory office
    registered = ok(call(office, "post", f"/items/{pk}/review/", {"outcome": "register"}))
    assert registered["status"] == "registered" and registered["number_label"]
    assigned = ok(call(office, "post", f"/items/{pk}/assign/", {"lead_unit": unit.pk}))
    assert assigned["status"] == "assigned"
    assignment = assigned["assignments"][0]["id"]

    # the unit: 签收, a face-to-face contact the member confirms, the reply drafted and sent on
    ok(call(staff, "post", f"/assignments/{assignment}/accept/"))
    contact = ok(
        call(
            staff,
            "post",
            f"/assignments/{assignment}/contacts/",
            {
                "method": "face_to_face",
                "contacted_on": timezone.localdate().isoformat(),
                "participants": "何红代表，李文静",
                "notes": "当面听取意见。",
            },
        ),
        201,
    )
    ok(call(lead, "post", f"/contacts/{contact['id']}/respond/", {"confirm": True}))
    started = call(staff, "post", f"/assignments/{assignment}/reply/")
    reply = ok(started, 201)
    saved = ok(
        call(
            staff,
            "patch",
            f"/replies/{reply['id']}/",
            {"result_class": "A", "body_html": "<p>现答复如下：已新增普惠托位。</p>"},
            If_Match=started["ETag"],
        )
    )
    assert saved["version"] == reply["version"] + 1
    assert ok(call(staff, "post", f"/replies/{reply['id']}/submit/"))["status"] == "submitted"
    assert ok(call(leader, "post", f"/replies/{reply['id']}/sign/"))["status"] == "in_review"
    sent = ok(call(office, "post", f"/replies/{reply['id']}/approve/", {}))
    assert sent["status"] == "sent" and sent["document_number"]

    # both signers evaluate; one result is 不满意, so the office decides: it closes the item
    lead_detail = ok(call(lead, "get", f"/items/{pk}/"))
    assert [r["id"] for r in lead_detail["replies"]] == [reply["id"]]
    rating = {"contacted": True, "face_to_face": True, "comment": "希望继续推进。"}
    ok(
        call(
            lead,
            "post",
            f"/replies/{reply['id']}/evaluate/",
            {"work_rating": "satisfied", "result_rating": "unsatisfied", **rating},
        ),
        201,
    )
    ok(
        call(
            cosigner,
            "post",
            f"/replies/{reply['id']}/evaluate/",
            {"work_rating": "satisfied", "result_rating": "satisfied", **rating},
        ),
        201,
    )
    closed = ok(call(office, "post", f"/items/{pk}/close/", {"reason": "已作说明，予以办结。"}))
    assert closed["status"] == "closed"
    assert Proposal.objects.get(pk=pk).status == ProposalStatus.CLOSED

    # the event log has every step, each with the person who did it through the API
    actors = {
        (event.action, event.actor_id) for event in ProposalEvent.objects.filter(proposal_id=pk)
    }
    for action, person in [
        (EventAction.CREATED, member),
        (EventAction.EDITED, member),
        (EventAction.COSIGNER_INVITED, member),
        (EventAction.COSIGNER_CONFIRMED, other_member),
        (EventAction.SUBMITTED, member),
        (EventAction.REGISTERED, npc_supervisor),
        (EventAction.ASSIGNED, npc_supervisor),
        (EventAction.ACCEPTED, unit_staff),
        (EventAction.CONTACT_RECORDED, unit_staff),
        (EventAction.CONTACT_CONFIRMED, member),
        (EventAction.REPLY_SUBMITTED, unit_staff),
        (EventAction.REPLY_SIGNED, unit_leader),
        (EventAction.REPLY_APPROVED, npc_supervisor),
        (EventAction.EVALUATED, member),
        (EventAction.EVALUATED, other_member),
        (EventAction.CLOSED, npc_supervisor),
    ]:
        assert (action, person.pk) in actors, action
    # and the member reads it as a timeline, in order, ending with 办结
    timeline = ok(call(lead, "get", f"/items/{pk}/"))["timeline"]
    assert timeline[0]["action"] == "created" and timeline[-1]["action"] == "closed"
