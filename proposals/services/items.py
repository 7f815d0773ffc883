"""Drafting, co-signing, submission, withdrawal and review of items.

Each function takes keyword arguments, checks who may act and from which state, writes the
change and an event row in the same transaction, and raises ValidationError with a message in
plain Chinese when the step is not allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.language import Text
from accounts.models import Body, User
from accounts.notifications import supervisors_of, unit_people

from ..models import (
    Assignment,
    Attachment,
    Category,
    CoSigner,
    CoSignerStatus,
    EventAction,
    Meeting,
    NumberingScope,
    Proposal,
    ProposalKind,
    ProposalStatus,
    RejectionGround,
)
from ..sections import SectionText, joined_text, policy_of, section_problems
from ..uploads import validate_upload
from .common import index_proposal, local_time, lock_proposal, notify_about, record_event, signers
from .handling import end_open_assignments

# An item can be withdrawn (撤案) until a reply is sent.
WITHDRAWABLE = (ProposalStatus.SUBMITTED, ProposalStatus.REGISTERED, ProposalStatus.ASSIGNED)
# An item can be merged into another that is still being handled.
MERGE_TARGETS = (ProposalStatus.SUBMITTED, ProposalStatus.REGISTERED, ProposalStatus.ASSIGNED)


def _require_lead_of_draft(proposal: Proposal, actor: User) -> None:
    if proposal.lead_id != actor.pk:
        raise ValidationError(_("只有领衔人可以修改这件建议提案。"))
    if proposal.status != ProposalStatus.DRAFT:
        raise ValidationError(_("已提交的建议提案不能再修改。"))


def _check_content(
    *,
    meeting: Meeting,
    kind: str,
    title: str,
    body: str,
    category: Category | None,
    sections: list[SectionText] | None = None,
    submitting: bool = False,
) -> None:
    """What any draft must satisfy; when `submitting`, also the meeting's sections policy
    (proposals.sections: required sections, minimum lengths), the pre-check's errors."""
    errors: dict[str, str] = {}
    rules = policy_of(meeting)
    if sections:
        texts = {s["key"]: s.get("text", "") for s in sections}
    elif len(rules) == 1:
        texts = {rules[0]["key"]: body}
    else:
        texts = {}  # an item written as one text before the meeting had sections
    problems = (
        [m for _key, m in section_problems(rules, texts, only_too_long=not submitting)]
        if texts
        else []
    )
    if problems:
        errors["body"] = " ".join(problems)
    if kind != meeting.item_kind:
        errors["kind"] = _("%(meeting)s只受理%(kind)s。") % {
            "meeting": meeting.short_name,
            "kind": ProposalKind(meeting.item_kind).label,
        }
    if not title.strip():
        errors["title"] = _("请填写标题。")
    if not body.strip():
        errors["body"] = _("请填写正文。")
    elif problems:
        pass
    elif len(body) > meeting.body_max_chars:
        errors["body"] = _("正文共 %(n)s 字，超过了本次会议 %(max)s 字的上限。") % {
            "n": len(body),
            "max": meeting.body_max_chars,
        }
    if category is not None and category.body != meeting.body:
        errors["category"] = _("所选类别不属于%(body)s。") % {"body": Body(meeting.body).label}
    if errors:
        raise ValidationError(errors)


def _add_attachments(proposal: Proposal, actor: User, uploads: Iterable[UploadedFile]) -> None:
    uploads = list(uploads)
    if not uploads:
        return
    from django.conf import settings

    if proposal.attachments.count() + len(uploads) > settings.ATTACHMENT_MAX_COUNT:
        raise ValidationError(
            _("每件建议提案最多 %(n)s 个附件。") % {"n": settings.ATTACHMENT_MAX_COUNT}
        )
    for upload in uploads:
        content_type = validate_upload(upload)
        Attachment.objects.create(
            proposal=proposal,
            file=upload,
            original_name=(upload.name or "")[:200],
            content_type=content_type,
            size=upload.size or 0,
            uploaded_by=actor,
        )
        record_event(proposal, actor, EventAction.ATTACHMENT_ADDED, note=upload.name or "")


@transaction.atomic
def proposal_create(
    *,
    author: User,
    meeting: Meeting,
    title: str,
    body: str,
    category: Category | None = None,
    kind: str | None = None,
    attachments: Iterable[UploadedFile] = (),
    sections: list[SectionText] | None = None,
) -> Proposal:
    """Start a draft item for a member of the meeting's body. With `sections` (the meeting's
    sections, proposals.sections), `body` is their joined text."""
    profile = getattr(author, "member_profile", None)
    if not author.is_member or profile is None:
        raise ValidationError(_("只有代表、委员可以提出建议提案。"))
    if profile.body != meeting.body:
        raise ValidationError(
            _("您是%(body)s的成员，不能向%(meeting)s提出。")
            % {"body": Body(profile.body).label, "meeting": meeting.short_name}
        )
    kind = kind or meeting.item_kind
    sections = list(sections or [])
    if sections:
        body = joined_text(sections)
    _check_content(
        meeting=meeting, kind=kind, title=title, body=body, category=category, sections=sections
    )
    proposal = Proposal.objects.create(
        meeting=meeting,
        kind=kind,
        title=title.strip(),
        body=body,
        sections=sections,
        category=category,
        lead=author,
    )
    record_event(proposal, author, EventAction.CREATED, to_status=ProposalStatus.DRAFT)
    _add_attachments(proposal, author, attachments)
    index_proposal(proposal)
    return proposal


@transaction.atomic
def proposal_update_draft(
    *,
    proposal: Proposal,
    actor: User,
    title: str,
    body: str,
    category: Category | None,
    attachments: Iterable[UploadedFile] = (),
    sections: list[SectionText] | None = None,
) -> Proposal:
    """Change a draft's text, category or attachments; only the lead, only while a draft."""
    proposal = lock_proposal(proposal)
    _require_lead_of_draft(proposal, actor)
    sections = list(sections or [])
    if sections:
        body = joined_text(sections)
    _check_content(
        meeting=proposal.meeting,
        kind=proposal.kind,
        title=title,
        body=body,
        category=category,
        sections=sections,
    )
    proposal.title = title.strip()
    proposal.body = body
    proposal.sections = sections
    proposal.category = category
    proposal.save(update_fields=["title", "body", "sections", "category", "updated_at"])
    record_event(proposal, actor, EventAction.EDITED)
    _add_attachments(proposal, actor, attachments)
    index_proposal(proposal)
    return proposal


@transaction.atomic
def attachment_remove(*, attachment: Attachment, actor: User) -> None:
    """Delete an attachment of a draft; the stored file goes once the transaction commits."""
    proposal = lock_proposal(attachment.proposal)
    _require_lead_of_draft(proposal, actor)
    name = attachment.original_name
    storage, path = attachment.file.storage, attachment.file.name
    attachment.delete()
    record_event(proposal, actor, EventAction.ATTACHMENT_REMOVED, note=name)
    transaction.on_commit(lambda: storage.delete(path) if path else None)


def cosign_deadline(meeting: Meeting) -> datetime:
    """Confirmations of co-signers count only before this moment."""
    return meeting.submission_closes_at


@transaction.atomic
def cosigner_invite(
    *, proposal: Proposal, actor: User, member: User, now: datetime | None = None
) -> CoSigner:
    """Invite an individual member of the same body to co-sign a draft: active, not the lead,
    not a collective submitter (代表团, 党派, 界别 sign as themselves, never as co-signers)."""
    now = now or timezone.now()
    proposal = lock_proposal(proposal)
    _require_lead_of_draft(proposal, actor)
    profile = getattr(member, "member_profile", None)
    if (
        not member.is_member
        or profile is None
        or profile.body != proposal.meeting.body
        or not member.is_active
    ):
        raise ValidationError(
            _("只能邀请同一%(body)s的代表、委员联名。")
            % {"body": Body(proposal.meeting.body).label}
        )
    if member.pk == proposal.lead_id:
        raise ValidationError(_("领衔人不能邀请自己联名。"))
    if profile.is_collective:
        raise ValidationError(
            _("%(name)s是%(type)s，不能作为联名人；请邀请代表、委员本人联名。")
            % {"name": member.full_name, "type": profile.get_submitter_type_display()}
        )
    if now >= cosign_deadline(proposal.meeting):
        raise ValidationError(
            _("联名已于 %(when)s 截止。") % {"when": local_time(cosign_deadline(proposal.meeting))}
        )
    cosigner, created = CoSigner.objects.get_or_create(proposal=proposal, member=member)
    if not created:
        if cosigner.status in (CoSignerStatus.INVITED, CoSignerStatus.CONFIRMED):
            raise ValidationError(_("已经邀请过%(name)s。") % {"name": member.full_name})
        cosigner.status = CoSignerStatus.INVITED
        cosigner.invited_at = now
        cosigner.responded_at = None
        cosigner.save(update_fields=["status", "invited_at", "responded_at"])
    record_event(proposal, actor, EventAction.COSIGNER_INVITED, note=member.full_name)
    notify_about(
        proposal,
        [member],
        Text(gettext_noop("%(lead)s邀请您联名，请确认或谢绝。"), lead=actor.full_name),
    )
    return cosigner


@transaction.atomic
def cosigner_cancel(*, cosigner: CoSigner, actor: User) -> None:
    """The lead withdraws an invitation (or a confirmation) while the item is a draft."""
    proposal = lock_proposal(cosigner.proposal)
    _require_lead_of_draft(proposal, actor)
    updated = CoSigner.objects.filter(
        pk=cosigner.pk, status__in=[CoSignerStatus.INVITED, CoSignerStatus.CONFIRMED]
    ).update(status=CoSignerStatus.CANCELLED, responded_at=timezone.now())
    if not updated:
        raise ValidationError(_("这项联名邀请已经不能取消。"))
    record_event(proposal, actor, EventAction.COSIGNER_CANCELLED, note=cosigner.member.full_name)


@transaction.atomic
def cosigner_respond(
    *, cosigner: CoSigner, actor: User, accept: bool, now: datetime | None = None
) -> CoSigner:
    """The invitee confirms or declines. A confirmation after the deadline does not count."""
    now = now or timezone.now()
    if cosigner.member_id != actor.pk:
        raise ValidationError(_("只有被邀请人本人可以确认联名。"))
    proposal = lock_proposal(cosigner.proposal)
    if proposal.status != ProposalStatus.DRAFT:
        raise ValidationError(_("这件建议提案已经提交，联名邀请已失效。"))
    deadline = cosign_deadline(proposal.meeting)
    if accept and now >= deadline:
        raise ValidationError(
            _("联名确认已于 %(when)s 截止，本次确认不计入。") % {"when": local_time(deadline)}
        )
    new_status = CoSignerStatus.CONFIRMED if accept else CoSignerStatus.DECLINED
    updated = CoSigner.objects.filter(pk=cosigner.pk, status=CoSignerStatus.INVITED).update(
        status=new_status, responded_at=now
    )
    if not updated:
        raise ValidationError(_("这项联名邀请已经处理过了。"))
    action = EventAction.COSIGNER_CONFIRMED if accept else EventAction.COSIGNER_DECLINED
    record_event(proposal, actor, action, note=actor.full_name)
    answer = (
        gettext_noop("%(name)s已确认联名。") if accept else gettext_noop("%(name)s谢绝了联名邀请。")
    )
    notify_about(proposal, [proposal.lead], Text(answer, name=actor.full_name))
    cosigner.refresh_from_db()
    return cosigner


@transaction.atomic
def proposal_submit(*, proposal: Proposal, actor: User, now: datetime | None = None) -> Proposal:
    """Submit a draft within the meeting's window. Unanswered invitations lapse."""
    now = now or timezone.now()
    proposal = lock_proposal(proposal)
    _require_lead_of_draft(proposal, actor)
    meeting = proposal.meeting
    if now < meeting.submission_opens_at:
        raise ValidationError(
            _("%(meeting)s的建议提案自 %(when)s 起受理，现在还不能提交。")
            % {"meeting": meeting.short_name, "when": local_time(meeting.submission_opens_at)}
        )
    if now >= meeting.submission_closes_at:
        raise ValidationError(
            _("%(meeting)s的建议提案已于 %(when)s 截止提交。")
            % {"meeting": meeting.short_name, "when": local_time(meeting.submission_closes_at)}
        )
    _check_content(
        meeting=meeting,
        kind=proposal.kind,
        title=proposal.title,
        body=proposal.body,
        category=proposal.category,
        sections=proposal.sections,
        submitting=True,
    )
    lapsed = list(
        CoSigner.objects.filter(proposal=proposal, status=CoSignerStatus.INVITED).select_related(
            "member"
        )
    )
    CoSigner.objects.filter(pk__in=[c.pk for c in lapsed]).update(
        status=CoSignerStatus.LAPSED, responded_at=now
    )
    proposal.status = ProposalStatus.SUBMITTED
    proposal.submitted_at = now
    proposal.phase = meeting.phase_on(now)
    proposal.save(update_fields=["status", "submitted_at", "phase", "updated_at"])
    note = ""
    if lapsed:
        note = _("未确认的联名邀请失效：%(names)s") % {
            "names": "、".join(c.member.full_name for c in lapsed)
        }
    record_event(
        proposal,
        actor,
        EventAction.SUBMITTED,
        from_status=ProposalStatus.DRAFT,
        to_status=ProposalStatus.SUBMITTED,
        note=note,
    )
    return proposal


@transaction.atomic
def proposal_withdraw(*, proposal: Proposal, actor: User, reason: str) -> Proposal:
    """撤案: the lead withdraws in writing before a reply is sent; handling ends."""
    proposal = lock_proposal(proposal)
    if proposal.lead_id != actor.pk:
        raise ValidationError(_("只有领衔人可以撤案。"))
    if proposal.status not in WITHDRAWABLE:
        raise ValidationError(
            _("状态为“%(status)s”的建议提案不能撤案。") % {"status": proposal.get_status_display()}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("请写明撤案理由。")})
    from_status = proposal.status
    proposal.status = ProposalStatus.WITHDRAWN
    proposal.withdrawal_reason = reason.strip()
    proposal.save(update_fields=["status", "withdrawal_reason", "updated_at"])
    end_open_assignments(proposal, timezone.now())
    record_event(
        proposal,
        actor,
        EventAction.WITHDRAWN,
        from_status=from_status,
        to_status=ProposalStatus.WITHDRAWN,
        note=reason.strip(),
    )
    units = set(
        Assignment.objects.filter(proposal=proposal).active().values_list("unit_id", flat=True)
    )
    people = supervisors_of(proposal.meeting.body) + [p for u in units for p in unit_people(u)]
    notify_about(proposal, people, Text(gettext_noop("已由领衔人撤案，办理终止。")))
    return proposal


def _require_reviewer(proposal: Proposal, actor: User) -> None:
    if proposal.meeting.body not in actor.supervised_bodies():
        raise ValidationError(_("您没有审查这件建议提案的权限。"))
    if proposal.status != ProposalStatus.SUBMITTED:
        raise ValidationError(
            _("这件建议提案当前为“%(status)s”，不在待审查状态。")
            % {"status": proposal.get_status_display()}
        )


def _next_number(meeting: Meeting, kind: str, prefix: str) -> tuple[int, str]:
    """Next number for the meeting and kind, with no gap and no duplicate, and the scope it
    counts in: across the meeting, or within the delegation prefix (the meeting's numbering
    policy).

    The meeting row is locked for the rest of the transaction, so concurrent registrations
    of the same meeting queue here; the unique constraints are the last line of defence.
    """
    locked = (
        Meeting.objects.select_for_update()
        .filter(pk=meeting.pk)
        .values_list("numbering_scope", flat=True)
        .get()
    )
    numbered = Proposal.objects.filter(
        meeting=meeting, kind=kind, number__isnull=False, number_scope=locked
    )
    if locked == NumberingScope.PREFIX:
        numbered = numbered.filter(number_prefix=prefix)
    last = numbered.aggregate(last=Max("number"))["last"]
    return (last or 0) + 1, locked


def _given_number(meeting: Meeting, kind: str, prefix: str, number: int) -> str:
    """Check that `number` (a number given on paper or by another system, imported with the
    item) is free in the meeting's numbering scope, holding the same meeting lock as
    _next_number; return the scope. Later numbers continue after the highest one."""
    locked = (
        Meeting.objects.select_for_update()
        .filter(pk=meeting.pk)
        .values_list("numbering_scope", flat=True)
        .get()
    )
    if number < 1:
        raise ValidationError({"number": _("编号须为正整数。")})
    taken = Proposal.objects.filter(meeting=meeting, kind=kind, number=number, number_scope=locked)
    if locked == NumberingScope.PREFIX:
        taken = taken.filter(number_prefix=prefix)
    if taken.exists():
        raise ValidationError(
            {
                "number": _("编号“%(label)s”在%(meeting)s已被使用。")
                % {"label": meeting.format_number(number, prefix), "meeting": meeting.short_name}
            }
        )
    return locked


@transaction.atomic
def proposal_register(
    *,
    proposal: Proposal,
    actor: User,
    is_key: bool = False,
    leading_official: str = "",
    supervising_units: str = "",
    category: Category | None = None,
    note: str = "",
    number: int | None = None,
) -> Proposal:
    """立案: accept the item for handling and give it its number: the next one, or `number` when
    the item already has one (imported from paper or another system) and it is still free."""
    proposal = lock_proposal(proposal)
    _require_reviewer(proposal, actor)
    if category is not None:
        if category.body != proposal.meeting.body:
            raise ValidationError({"category": _("所选类别不属于本机构。")})
        proposal.category = category
    if proposal.category_id is None:
        raise ValidationError({"category": _("立案前请确定类别。")})
    profile = getattr(proposal.lead, "member_profile", None)
    prefix = profile.number_prefix if profile else ""
    if number is None:
        number, scope = _next_number(proposal.meeting, proposal.kind, prefix)
    else:
        scope = _given_number(proposal.meeting, proposal.kind, prefix, number)
    proposal.number = number
    proposal.number_scope = scope
    proposal.number_prefix = prefix
    proposal.number_label = proposal.meeting.format_number(number, prefix)
    proposal.status = ProposalStatus.REGISTERED
    proposal.is_key = is_key
    proposal.leading_official = leading_official.strip()
    proposal.supervising_units = supervising_units.strip()
    proposal.review_note = note.strip()
    proposal.reviewed_at = timezone.now()
    proposal.save()
    record_event(
        proposal,
        actor,
        EventAction.REGISTERED,
        from_status=ProposalStatus.SUBMITTED,
        to_status=ProposalStatus.REGISTERED,
        note=Text.join(
            [Text(gettext_noop("编号：%(number)s"), number=proposal.number_label)]
            + ([Text(gettext_noop("重点建议提案"))] if is_key else [])
            + ([note.strip()] if note.strip() else []),
            "semicolon",
        ),
    )
    notify_about(
        proposal,
        signers(proposal),
        Text(gettext_noop("已立案，编号%(number)s。"), number=proposal.number_label),
    )
    return proposal


@transaction.atomic
def proposal_reject(*, proposal: Proposal, actor: User, ground: str, note: str) -> Proposal:
    """不予立案: one of the standard grounds plus a text that the member sees."""
    proposal = lock_proposal(proposal)
    _require_reviewer(proposal, actor)
    if ground not in RejectionGround.values:
        raise ValidationError({"rejection_ground": _("请选择不予立案的理由。")})
    if not note.strip():
        raise ValidationError({"note": _("请写明不予立案的说明，代表委员会看到这段话。")})
    proposal.status = ProposalStatus.REJECTED
    proposal.rejection_ground = ground
    proposal.review_note = note.strip()
    proposal.reviewed_at = timezone.now()
    proposal.save(
        update_fields=["status", "rejection_ground", "review_note", "reviewed_at", "updated_at"]
    )
    record_event(
        proposal,
        actor,
        EventAction.REJECTED,
        from_status=ProposalStatus.SUBMITTED,
        to_status=ProposalStatus.REJECTED,
        note=Text(
            gettext_noop("%(ground)s：%(note)s"),
            ground=RejectionGround(ground).label,
            note=note.strip(),
        ),
    )
    notify_about(proposal, signers(proposal), Text(gettext_noop("经审查不予立案，请查看说明。")))
    return proposal


@transaction.atomic
def proposal_merge(*, proposal: Proposal, actor: User, into: Proposal, note: str = "") -> Proposal:
    """并案: this item is handled together with `into`; both submitters see the merge."""
    proposal = lock_proposal(proposal)
    _require_reviewer(proposal, actor)
    target = lock_proposal(into)
    if target.pk == proposal.pk:
        raise ValidationError({"merge_into": _("不能并入自身。")})
    if target.meeting_id != proposal.meeting_id or target.kind != proposal.kind:
        raise ValidationError({"merge_into": _("只能并入同一次会议的同类建议提案。")})
    if target.status not in MERGE_TARGETS:
        raise ValidationError(
            {
                "merge_into": _("“%(title)s”当前为“%(status)s”，不能作为并案对象。")
                % {"title": target.title, "status": target.get_status_display()}
            }
        )
    proposal.status = ProposalStatus.MERGED
    proposal.merged_into = target
    proposal.review_note = note.strip()
    proposal.reviewed_at = timezone.now()
    proposal.save(
        update_fields=["status", "merged_into", "review_note", "reviewed_at", "updated_at"]
    )
    record_event(
        proposal,
        actor,
        EventAction.MERGED,
        from_status=ProposalStatus.SUBMITTED,
        to_status=ProposalStatus.MERGED,
        note=Text.join(
            [Text(gettext_noop("并入《%(title)s》"), title=target.title)]
            + ([note.strip()] if note.strip() else []),
            "semicolon",
        ),
    )
    record_event(
        target,
        actor,
        EventAction.MERGED,
        note=Text(gettext_noop("《%(title)s》并入本件"), title=proposal.title),
    )
    notify_about(
        proposal,
        signers(proposal),
        Text(gettext_noop("已并入《%(title)s》办理。"), title=target.title),
    )
    notify_about(
        target,
        signers(target),
        Text(gettext_noop("《%(title)s》已并入本件办理。"), title=proposal.title),
    )
    return proposal


@transaction.atomic
def proposal_convert(*, proposal: Proposal, actor: User, note: str) -> Proposal:
    """转为意见/来信: not registered as an item; forwarded as an opinion or letter."""
    proposal = lock_proposal(proposal)
    _require_reviewer(proposal, actor)
    if not note.strip():
        raise ValidationError({"note": _("请说明转为意见或来信的处理去向。")})
    proposal.status = ProposalStatus.CONVERTED
    proposal.review_note = note.strip()
    proposal.reviewed_at = timezone.now()
    proposal.save(update_fields=["status", "review_note", "reviewed_at", "updated_at"])
    record_event(
        proposal,
        actor,
        EventAction.CONVERTED,
        from_status=ProposalStatus.SUBMITTED,
        to_status=ProposalStatus.CONVERTED,
        note=note.strip(),
    )
    notify_about(proposal, signers(proposal), Text(gettext_noop("转为意见/来信处理，请查看说明。")))
    return proposal
