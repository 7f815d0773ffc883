"""Every write to replies: draft, save (versioned, conflict-checked), submit, sign (签发), send
back, supervisory review, send with a document number, correct. Same rules as
proposals/services: keyword arguments, row locks, actor and state checks, one event per step,
jobs and notices queued after commit, ValidationError in plain Chinese."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.document_numbers import unit_document_number
from accounts.language import Text
from accounts.models import User
from accounts.notifications import supervisors_of, unit_people
from proposals import search, workdays
from proposals.event_visibility import notify_event
from proposals.models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    ContactRecord,
    ContactRequirement,
    ContactResponse,
    CoOpinionStatus,
    EventAction,
    Proposal,
    ProposalKind,
    ProposalStatus,
)
from proposals.services.common import (
    local_date,
    lock_item,
    notify_about,
    record_event,
    reply_sent_note,
    signers,
)

from ..models import (
    OPEN_REPLY_STATUSES,
    Disclosure,
    DocumentCounter,
    Letter,
    LetterStatus,
    Reply,
    ReplyStatus,
    ReplyVersion,
)
from ..text import clean_body

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = (
    "title",
    "salutation",
    "opening",
    "body_html",
    "thanks",
    "result_class",
    "disclosure",
    "withheld_reason",
    "signing_unit",
    "signed_on",
    "contact_person",
    "contact_phone",
    "cc",
)


class ReplyConflict(ValidationError):
    """Someone saved the draft since this editor loaded it."""


def _require_unit(
    reply_or_assignment: Reply | Assignment, actor: User, *, leader: bool = False
) -> None:
    unit_id = reply_or_assignment.unit_id
    if not actor.is_unit_user or actor.unit_id != unit_id:
        raise ValidationError(_("只有承办单位的人员可以办理这份答复。"))
    if leader and not actor.is_unit_leader:
        raise ValidationError(_("答复须由单位负责人签发。"))


def _lock(reply: Reply) -> Reply:
    """The reply under a row lock, taken after its item's (`lock_item`, which refuses once the
    item is closed or withdrawn)."""
    lock_item(reply.proposal_id)
    return (
        Reply.objects.select_for_update(of=("self",))
        .select_related("proposal", "proposal__meeting", "assignment", "unit")
        .get(pk=reply.pk)
    )


def default_content(assignment: Assignment) -> dict[str, Any]:
    """Salutation, opening, thanks and 抄送 filled in from the item, all editable; in Chinese,
    the letter's language, whatever the drafter reads the system in."""
    with translation.override(settings.LANGUAGE_CODE):
        return _default_content(assignment)


def _default_content(assignment: Assignment) -> dict[str, Any]:
    proposal = assignment.proposal
    meeting = proposal.meeting
    people = signers(proposal)
    profile = getattr(proposal.lead, "member_profile", None)
    title_word = profile.title if profile else ""
    names = "、".join(person.full_name for person in people)
    kind = ProposalKind(proposal.kind).label
    co_units = list(
        Assignment.objects.filter(proposal=proposal, round=assignment.round, role=AssignmentRole.CO)
        .active()
        .select_related("unit")
    )
    handled = ""
    if assignment.role == AssignmentRole.LEAD and co_units:
        handled = _("经我单位主办，%(units)s会办，") % {
            "units": "、".join(a.unit.short_name for a in co_units)
        }
    opening = _(
        "您在%(meeting)s上提出的《%(title)s》（%(number)s）收悉。%(handled)s现将办理情况答复如下："
    ) % {
        "meeting": meeting.short_name,
        "title": proposal.title,
        "number": proposal.number_label,
        "handled": handled,
    }
    title = _("%(unit)s关于%(meeting)s%(number)s%(kind)s的答复")
    earlier = earlier_reply(assignment)
    if earlier is not None:
        # a 重新办理 reply says so, and names the reply the member was dissatisfied with by
        # its 文号 and the date the letter bears (成文日期), which may precede the day it was sent
        earlier_date = earlier.signed_on or (
            timezone.localdate(earlier.sent_at) if earlier.sent_at else None
        )
        title = _("%(unit)s关于%(meeting)s%(number)s%(kind)s重新办理情况的答复")
        opening = _(
            "您在%(meeting)s上提出的《%(title)s》（%(number)s），我单位已于%(date)s以%(document)s"
            "答复。根据您的意见，经重新办理，现将有关情况答复如下："
        ) % {
            "meeting": meeting.short_name,
            "title": proposal.title,
            "number": proposal.number_label,
            "date": local_date(earlier_date) if earlier_date else "",
            "document": earlier.document_number,
        }
    cc_parts = [part for part in [meeting.reply_cc.strip("，。 ")] if part]
    cc_parts += [a.unit.short_name for a in co_units]
    return {
        "title": title
        % {
            "unit": assignment.unit.name,
            "meeting": meeting.short_name,
            "number": proposal.number_label,
            "kind": kind,
        },
        "salutation": f"{names}{title_word}：",
        "opening": opening,
        "thanks": _("衷心感谢您对我们工作的关心和支持！"),
        "signing_unit": assignment.unit.name,
        "contact_person": assignment.unit.contact_person,
        "contact_phone": assignment.unit.contact_phone,
        "cc": "，".join(cc_parts) + ("。" if cc_parts else ""),
        "result_class": "",
        "disclosure": Disclosure.PUBLIC,
    }


def earlier_reply(assignment: Assignment) -> Reply | None:
    """In a 重新办理 round, the unit's reply of the previous round that the member rated (the
    latest one sent, a correction included); None in round 1."""
    if assignment.round <= 1:
        return None
    return (
        Reply.objects.filter(
            proposal_id=assignment.proposal_id,
            unit_id=assignment.unit_id,
            status=ReplyStatus.SENT,
            assignment__round__lt=assignment.round,
        )
        .order_by("-assignment__round", "-sent_at", "-pk")
        .first()
    )


@transaction.atomic
def reply_start(*, assignment: Assignment, actor: User) -> Reply:
    """Open the draft of a lead or separate unit's reply (or return the one already open)."""
    lock_item(assignment.proposal_id)
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("proposal__meeting", "unit")
        .get(pk=assignment.pk)
    )
    _require_unit(assignment, actor)
    if not assignment.gives_reply:
        raise ValidationError(_("会办单位不直接答复，请提出会办意见。"))
    if assignment.status == AssignmentStatus.ASSIGNED:
        raise ValidationError(_("请先签收这项交办。"))
    if assignment.status != AssignmentStatus.ACCEPTED:
        raise ValidationError(_("这项交办已经答复或退回。"))
    existing = Reply.objects.filter(assignment=assignment, status__in=OPEN_REPLY_STATUSES).first()
    if existing is not None:
        return existing
    reply = Reply.objects.create(
        assignment=assignment,
        proposal=assignment.proposal,
        unit=assignment.unit,
        created_by=actor,
        updated_by=actor,
        **default_content(assignment),
    )
    _snapshot(reply, actor)
    return reply


def _snapshot(reply: Reply, actor: User) -> None:
    data = model_to_dict(reply, fields=EDITABLE_FIELDS)
    data["signed_on"] = data["signed_on"].isoformat() if data.get("signed_on") else None
    ReplyVersion.objects.create(reply=reply, number=reply.version, snapshot=data, saved_by=actor)


def _validate(reply: Reply, data: dict[str, Any]) -> None:
    codes = [entry.get("code") for entry in reply.proposal.meeting.result_classes]
    errors: dict[str, str] = {}
    if data.get("result_class") and data["result_class"] not in codes:
        errors["result_class"] = _("答复类别须为：%(codes)s") % {
            "codes": "、".join(map(str, codes))
        }
    if (
        data.get("disclosure") == Disclosure.WITHHELD
        and not (data.get("withheld_reason") or "").strip()
    ):
        errors["withheld_reason"] = _("不予公开时须写明理由。")
    for field in ("title", "salutation", "opening", "signing_unit"):
        if not (data.get(field) or "").strip():
            errors[field] = _("这一项不能为空。")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def reply_save(*, reply: Reply, actor: User, version: int, **data: Any) -> Reply:
    """Save the draft. `version` is the one the editor loaded: if someone saved since, nothing is
    overwritten and ReplyConflict tells who and when (the form keeps the typed text)."""
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {unknown}")
    current = _lock(reply)
    _require_unit(current, actor)
    if current.status != ReplyStatus.DRAFT:
        raise ValidationError(
            _("答复当前为“%(s)s”，不能修改。") % {"s": current.get_status_display()}
        )
    if current.version != version:
        raise ReplyConflict(
            _(
                "%(name)s已于%(when)s保存了新的内容（第%(v)s版），您的修改没有保存，以免覆盖对方的内容。请对照后重新保存。"
            )
            % {
                "name": current.updated_by.full_name,
                "when": timezone.localtime(current.updated_at).strftime("%H:%M"),
                "v": current.version,
            }
        )
    if "body_html" in data:
        data["body_html"] = clean_body(data["body_html"])
    merged = {**model_to_dict(current, fields=EDITABLE_FIELDS), **data}
    _validate(current, merged)
    for field, value in data.items():
        setattr(
            current,
            field,
            value.strip() if isinstance(value, str) and field != "body_html" else value,
        )
    current.version = F("version") + 1
    current.updated_by = actor
    current.save()
    current.refresh_from_db()
    _snapshot(current, actor)
    return current


@transaction.atomic
def reply_submit(*, reply: Reply, actor: User) -> Reply:
    """Staff send the draft to the unit leader for 签发."""
    reply = _lock(reply)
    _require_unit(reply, actor)
    if reply.status != ReplyStatus.DRAFT:
        raise ValidationError(_("只有草稿可以送签。"))
    _validate(reply, model_to_dict(reply, fields=EDITABLE_FIELDS))
    if not reply.result_class:
        raise ValidationError({"result_class": _("请选择答复类别。")})
    if not reply.body_html.strip():
        raise ValidationError({"body_html": _("请填写答复正文。")})
    # refused here rather than at 签发, so that the leader is not handed a draft they cannot sign
    _require_contact(reply, step=_("送签"))
    reply.status = ReplyStatus.SUBMITTED
    reply.submitted_at = timezone.now()
    reply.return_comment = ""
    reply.save(update_fields=["status", "submitted_at", "return_comment", "updated_at"])
    record_event(
        reply.proposal,
        actor,
        EventAction.REPLY_SUBMITTED,
        note=reply.unit.short_name,
        unit=reply.unit,
    )
    notify_about(
        reply.proposal,
        unit_people(reply.unit, leaders_only=True),
        Text(gettext_noop("答复稿待您签发。")),
        url=_reply_url(reply),
    )
    return reply


def _reply_url(reply: Reply) -> str:
    return reverse("replies:detail", args=[reply.pk])


def missing_contact(reply: Reply) -> str:
    """What the meeting's contact requirement (答复前沟通) still misses for this reply, in plain
    words ("" when nothing is missing): a face-to-face contact (面商, 座谈, 走访) that the member
    has not disputed. Both 送签 and 签发 are refused while something is missing."""
    proposal = reply.proposal
    meeting = proposal.meeting
    if not meeting.contact_required_for(proposal):
        return ""
    contacts = list(reply.assignment.contacts.all())
    if any(c.is_face_to_face and c.response != ContactResponse.DISPUTED for c in contacts):
        return ""
    kind = ProposalKind(proposal.kind).label
    if meeting.contact_requirement == ContactRequirement.KEY_ITEMS:
        why = _("本件是重点%(kind)s，须在答复前与代表委员当面沟通（面商、座谈或走访）") % {
            "kind": kind
        }
    else:
        why = _("按本次会议的规定，%(kind)s须在答复前与代表委员当面沟通（面商、座谈或走访）") % {
            "kind": kind
        }

    def methods(records: list[ContactRecord]) -> str:
        return "、".join(dict.fromkeys(str(c.get_method_display()) for c in records))

    others = [
        c for c in contacts if not c.is_face_to_face and c.response != ContactResponse.DISPUTED
    ]
    disputed = [c for c in contacts if c.is_face_to_face]  # all of them disputed, by now
    found = []
    if others:
        found.append(_("目前只记录了%(methods)s沟通") % {"methods": methods(others)})
    if disputed:
        found.append(
            _("%(methods)s记录代表委员有异议，不算当面沟通") % {"methods": methods(disputed)}
        )
    if not found:
        found.append(_("目前还没有沟通记录") if not contacts else _("记录的沟通代表委员均有异议"))
    return f"{why}，{'；'.join(found)}。"


def _require_contact(reply: Reply, *, step: str) -> None:
    missing = missing_contact(reply)
    if missing:
        raise ValidationError(missing + _("请先当面沟通并记录，再%(step)s。") % {"step": step})


@transaction.atomic
def reply_sign(*, reply: Reply, actor: User, now: datetime | None = None) -> Reply:
    """签发 by the unit leader. Refused while a required face-to-face contact is missing (see
    missing_contact). Then supervisory review where the policy asks for it, else the reply is
    sent."""
    reply = _lock(reply)
    _require_unit(reply, actor, leader=True)
    if reply.status not in (ReplyStatus.DRAFT, ReplyStatus.SUBMITTED):
        raise ValidationError(
            _("答复当前为“%(s)s”，不能签发。") % {"s": reply.get_status_display()}
        )
    # checked again: the member may have disputed the contact since 送签
    _require_contact(reply, step=_("签发"))
    if reply.status == ReplyStatus.DRAFT:
        # the leader may sign a draft directly; it must be complete as for 送签
        reply_submit(reply=reply, actor=actor)
        reply.refresh_from_db()
    now = now or timezone.now()
    reply.signed_by = actor
    reply.signed_at = now
    reply.signer_name = actor.full_name
    record_event(
        reply.proposal, actor, EventAction.REPLY_SIGNED, note=reply.unit.short_name, unit=reply.unit
    )
    if reply.proposal.meeting.supervisor_review_required and not reply.is_correction:
        reply.status = ReplyStatus.IN_REVIEW
        reply.save(update_fields=["status", "signed_by", "signed_at", "signer_name", "updated_at"])
        notify_about(
            reply.proposal,
            supervisors_of(reply.proposal.meeting.body),
            Text(gettext_noop("答复已签发，待督办审核。")),
            url=_reply_url(reply),
        )
        return reply
    reply.save(update_fields=["signed_by", "signed_at", "signer_name", "updated_at"])
    return _send(reply, actor, now)


@transaction.atomic
def reply_send_back(*, reply: Reply, actor: User, comment: str) -> Reply:
    """The leader (before 签发) or the supervisor (in review) returns the draft with comments."""
    reply = _lock(reply)
    if reply.status == ReplyStatus.SUBMITTED:
        _require_unit(reply, actor, leader=True)
    elif reply.status == ReplyStatus.IN_REVIEW:
        if reply.proposal.meeting.body not in actor.supervised_bodies():
            raise ValidationError(_("您没有审核这份答复的权限。"))
    else:
        raise ValidationError(
            _("答复当前为“%(s)s”，不能退回。") % {"s": reply.get_status_display()}
        )
    if not comment.strip():
        raise ValidationError({"comment": _("退回时请写明修改意见。")})
    reply.status = ReplyStatus.DRAFT
    reply.return_comment = comment.strip()
    reply.save(update_fields=["status", "return_comment", "updated_at"])
    event = record_event(
        reply.proposal, actor, EventAction.REPLY_SENT_BACK, note=comment.strip(), unit=reply.unit
    )
    notify_event(
        event,
        unit_people(reply.unit),
        Text(gettext_noop("答复被退回修改：%(c)s"), c=comment.strip()),
        Text(gettext_noop("答复被退回修改。")),
        url=reverse("replies:edit", args=[reply.pk]),
    )
    return reply


@transaction.atomic
def reply_approve(
    *,
    reply: Reply,
    actor: User,
    result_class: str | None = None,
    comment: str = "",
    now: datetime | None = None,
) -> Reply:
    """督办审核: approve, changing the class if need be; the reply is then sent."""
    reply = _lock(reply)
    if reply.proposal.meeting.body not in actor.supervised_bodies():
        raise ValidationError(_("您没有审核这份答复的权限。"))
    if reply.status != ReplyStatus.IN_REVIEW:
        raise ValidationError(_("答复不在待督办审核状态。"))
    if result_class and result_class != reply.result_class:
        codes = [entry.get("code") for entry in reply.proposal.meeting.result_classes]
        if result_class not in codes:
            raise ValidationError(
                {
                    "result_class": _("答复类别须为：%(codes)s")
                    % {"codes": "、".join(map(str, codes))}
                }
            )
        record_event(
            reply.proposal,
            actor,
            EventAction.REPLY_CLASS_CHANGED,
            note=Text(
                gettext_noop("%(before)s → %(after)s：%(comment)s")
                if comment.strip()
                else gettext_noop("%(before)s → %(after)s"),
                before=reply.result_class,
                after=result_class,
                comment=comment.strip(),
            ),
            unit=reply.unit,
        )
        reply.result_class = result_class
    reply.reviewed_by = actor
    reply.reviewed_at = now or timezone.now()
    reply.save(update_fields=["result_class", "reviewed_by", "reviewed_at", "updated_at"])
    record_event(
        reply.proposal, actor, EventAction.REPLY_APPROVED, note=comment.strip(), unit=reply.unit
    )
    return _send(reply, actor, now or timezone.now())


def _next_serial(reply: Reply, year: int) -> int:
    """The unit's next serial for the year, gap-free: the counter row is locked until commit."""
    try:
        with transaction.atomic():
            DocumentCounter.objects.get_or_create(unit=reply.unit, year=year)
    except IntegrityError:
        pass  # created by a concurrent sender; the row exists now
    counter = DocumentCounter.objects.select_for_update().get(unit=reply.unit, year=year)
    counter.last_serial += 1
    counter.save(update_fields=["last_serial"])
    return counter.last_serial


def _send(reply: Reply, actor: User, now: datetime) -> Reply:
    today = timezone.localdate(now)
    if reply.corrects_id:
        original = Reply.objects.select_for_update().get(pk=reply.corrects_id)
        reply.document_number = original.document_number
        reply.document_year = original.document_year
        reply.document_serial = original.document_serial
        original.status = ReplyStatus.SUPERSEDED
        original.save(update_fields=["status", "updated_at"])
    else:
        # the number's year is the letter's date's (成文日期), today unless the unit set one
        year = (reply.signed_on or today).year
        serial = _next_serial(reply, year)
        reply.document_year, reply.document_serial = year, serial
        reply.document_number = unit_document_number(reply.unit, year=year, serial=serial)
    reply.signed_on = reply.signed_on or today
    if reply.disclosure == Disclosure.PUBLIC:
        # the policy's publication day after sending (never past its latest day); a correction
        # of a public reply keeps the original's days
        original = reply.corrects if reply.corrects_id else None
        meeting = reply.proposal.meeting
        if original is not None and original.publish_on is not None:
            reply.publish_on, reply.publish_by = original.publish_on, original.publish_by
        else:
            reply.publish_on = meeting.publication_on(today)
            reply.publish_by = meeting.publication_latest_on(today)
    else:
        reply.publish_on = reply.publish_by = None
    reply.status = ReplyStatus.SENT
    reply.sent_at = now
    reply.evaluation_until = workdays.add_working_days(
        today, reply.proposal.meeting.evaluation_working_days
    )
    reply.save()
    proposal = reply.proposal
    record_event(
        proposal,
        actor,
        EventAction.REPLY_CORRECTED if reply.corrects_id else EventAction.REPLY_SENT,
        note=reply_sent_note(reply),
        unit=reply.unit,
    )
    if not reply.corrects_id:
        Assignment.objects.filter(pk=reply.assignment_id).update(
            status=AssignmentStatus.REPLIED, ended_at=now
        )
        _update_proposal_after_reply(proposal, reply.assignment.round, actor)
    index_reply(reply)
    letter, _created = Letter.objects.update_or_create(
        reply=reply, defaults={"status": LetterStatus.PENDING, "queued_at": now, "error": ""}
    )
    transaction.on_commit(lambda: queue_letter(letter.pk))
    notify_about(
        proposal,
        signers(proposal),
        Text(
            gettext_noop("%(unit)s已答复（%(number)s），请查阅答复函并进行满意度测评。"),
            unit=reply.unit.short_name,
            number=reply.document_number,
        ),
    )
    return reply


def _update_proposal_after_reply(proposal: Proposal, round_number: int, actor: User) -> None:
    """The item is 已答复 once every replying unit of the round has replied."""
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    waiting = (
        Assignment.objects.filter(
            proposal=locked,
            round=round_number,
            role__in=[AssignmentRole.LEAD, AssignmentRole.SEPARATE],
        )
        .active()
        .exclude(status=AssignmentStatus.REPLIED)
        .exists()
    )
    if not waiting and locked.status == ProposalStatus.ASSIGNED:
        locked.status = ProposalStatus.REPLIED
        locked.save(update_fields=["status", "updated_at"])
        record_event(
            locked,
            actor,
            EventAction.REPLY_SENT,
            from_status=ProposalStatus.ASSIGNED,
            to_status=ProposalStatus.REPLIED,
            note=Text(gettext_noop("全部承办单位已答复")),
        )


def index_reply(reply: Reply) -> None:
    """The reply's search terms and stored search text (Reply.public_text) as the public would
    read it: members' details hidden by the same function as the portal's page."""
    from ..public import public_search_text

    title, text = public_search_text(reply)
    reply.public_text = f"{title}\n{text}"
    Reply.objects.filter(pk=reply.pk).update(public_text=reply.public_text)
    search.update_vectors(Reply, [(reply.pk, title, text)])


def index_replies_of_member(member: User) -> int:
    """Build the public search text and terms of the sent replies to the member's items (as
    lead or confirmed co-signer) again: their phone number or address changed, and so did what
    the portal hides. (A public letter notices by itself: Letter.public_digest.)"""
    from proposals.models import CoSigner, CoSignerStatus

    cosigned = CoSigner.objects.filter(member=member, status=CoSignerStatus.CONFIRMED)
    replies = Reply.objects.filter(status=ReplyStatus.SENT).filter(
        Q(proposal__lead=member) | Q(proposal__in=cosigned.values("proposal"))
    )
    count = 0
    for reply in replies.select_related("proposal", "unit").iterator(chunk_size=200):
        index_reply(reply)
        count += 1
    return count


def queue_letter(letter_id: int) -> None:
    from ..tasks import render_letter_task

    try:
        render_letter_task.delay(letter_id)
    except Exception:  # broker down: the letter stays pending and the sweep queues it
        logger.warning("could not queue letter %s", letter_id, exc_info=True)


@transaction.atomic
def reply_correct(*, reply: Reply, actor: User) -> Reply:
    """A sent reply is immutable: a correction is a new draft marked 更正 that keeps the number."""
    original = _lock(reply)
    _require_unit(original, actor)
    if original.status != ReplyStatus.SENT:
        raise ValidationError(_("只有已发出的答复可以更正。"))
    if Reply.objects.filter(
        assignment=original.assignment, status__in=OPEN_REPLY_STATUSES
    ).exists():
        raise ValidationError(_("这份答复已有一份正在办理的更正稿。"))
    fields = model_to_dict(original, fields=EDITABLE_FIELDS)
    correction = Reply.objects.create(
        assignment=original.assignment,
        proposal=original.proposal,
        unit=original.unit,
        corrects=original,
        created_by=actor,
        updated_by=actor,
        **fields,
    )
    _snapshot(correction, actor)
    return correction


def co_opinions_for(reply: Reply) -> Any:
    """The co-handling opinions sent to this lead unit, at hand while drafting."""
    from proposals.models import CoOpinion

    return CoOpinion.objects.filter(
        assignment__proposal=reply.proposal,
        assignment__round=reply.assignment.round,
        status=CoOpinionStatus.SENT,
    ).select_related("assignment__unit")
