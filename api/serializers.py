"""What the API reads and writes. Reads show what the item page shows the same person (the view
passes in what the page's own context functions chose); writes only validate the shape of the
input: every rule about who may do what, and when, is the service function's.

Every field is described in Chinese and English ("中文 / English") for the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from accounts.models import Notification
from proposals.models import AssignmentRole, ContactMethod, Proposal, RejectionGround
from replies.models import Disclosure, Letter, LetterStatus, Rating, Reply


def _h(chinese: str, english: str) -> str:
    return f"{chinese} / {english}"


class MeetingBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_h("届次会议编号", "Meeting id"))
    short_name = serializers.CharField(help_text=_h("会议简称", "Meeting short name"))
    body = serializers.CharField(help_text=_h("所属：npc 人大，cppcc 政协", "Body: npc or cppcc"))


# --- items ------------------------------------------------------------------------------------


class ItemSerializer(serializers.Serializer):
    """One row of the item list."""

    id = serializers.IntegerField(help_text=_h("建议提案编号（内部）", "Item id"))
    kind = serializers.CharField(help_text=_h("类型：suggestion 建议，proposal 提案", "Kind"))
    title = serializers.CharField(help_text=_h("标题", "Title"))
    status = serializers.CharField(help_text=_h("状态代码", "Status code"))
    status_label = serializers.CharField(
        source="get_status_display", help_text=_h("状态（中文）", "Status, in Chinese")
    )
    number_label = serializers.CharField(
        help_text=_h("立案编号，如“萧山39号”；未立案为空", "Registration number; empty before")
    )
    meeting = MeetingBriefSerializer(help_text=_h("届次会议", "Meeting"))
    category = serializers.SerializerMethodField(help_text=_h("类别", "Category"))
    lead = serializers.CharField(
        source="lead.full_name", help_text=_h("领衔人姓名", "Lead submitter's name")
    )
    is_key = serializers.BooleanField(help_text=_h("是否重点建议提案", "Key item"))
    submitted_at = serializers.DateTimeField(
        allow_null=True, help_text=_h("提交时间", "Submitted at")
    )
    url = serializers.SerializerMethodField(help_text=_h("接口地址", "API URL of the item"))

    def get_category(self, item: Proposal) -> str:
        return str(item.category) if item.category_id and item.category else ""

    def get_url(self, item: Proposal) -> str:
        return reverse("api:item-detail", args=[item.pk])


class CoSignerSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_h("联名邀请编号", "Invitation id"))
    item = serializers.IntegerField(source="proposal_id", help_text=_h("建议提案", "Item id"))
    item_title = serializers.CharField(source="proposal.title", help_text=_h("标题", "Title"))
    member = serializers.CharField(
        source="member.full_name", help_text=_h("联名人姓名", "Co-signer's name")
    )
    status = serializers.CharField(
        help_text=_h(
            "状态：invited 待确认，confirmed 已确认，declined 已谢绝，cancelled 已取消，lapsed 逾期未确认",
            "Status",
        )
    )
    invited_at = serializers.DateTimeField(help_text=_h("邀请时间", "Invited at"))
    responded_at = serializers.DateTimeField(
        allow_null=True, help_text=_h("答复时间", "Answered at")
    )


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_h("附件编号", "Attachment id"))
    name = serializers.CharField(source="original_name", help_text=_h("文件名", "File name"))
    size = serializers.IntegerField(help_text=_h("大小（字节）", "Size in bytes"))
    download_url = serializers.SerializerMethodField(
        help_text=_h("下载地址（与网页相同的权限）", "Download URL (same permission as the page)")
    )

    def get_download_url(self, attachment: Any) -> str:
        return reverse("proposals:attachment", args=[attachment.pk])


class EventSerializer(serializers.Serializer):
    time = serializers.CharField(help_text=_h("时间（ISO 8601）", "Time (ISO 8601)"))
    action = serializers.CharField(help_text=_h("操作代码", "Action code"))
    label = serializers.CharField(help_text=_h("操作（中文）", "Action, in Chinese"))
    actor = serializers.CharField(help_text=_h("操作人", "Actor"))
    from_status = serializers.CharField(help_text=_h("原状态", "Status before"))
    to_status = serializers.CharField(help_text=_h("新状态", "Status after"))
    note = serializers.CharField(
        help_text=_h(
            "说明；您无权阅读的说明为空（与网页时间线相同）",
            "Note; empty where you may not read it (as on the page's timeline)",
        )
    )


class AssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_h("交办编号", "Assignment id"))
    item = serializers.IntegerField(source="proposal_id", help_text=_h("建议提案", "Item id"))
    unit = serializers.CharField(source="unit.name", help_text=_h("承办单位", "Handling unit"))
    role = serializers.ChoiceField(
        choices=AssignmentRole.choices,
        help_text=_h("承办方式：lead 主办，co 会办，separate 分办", "Role"),
    )
    round = serializers.IntegerField(help_text=_h("办理轮次", "Handling round"))
    status = serializers.CharField(help_text=_h("状态代码", "Status code"))
    status_label = serializers.CharField(help_text=_h("状态（中文）", "Status, in Chinese"))
    assigned_at = serializers.DateTimeField(help_text=_h("交办时间", "Assigned at"))
    due_on = serializers.DateField(help_text=_h("办理期限", "Due on"))


class CoOpinionSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_h("会办意见编号", "Co-handling opinion id"))
    assignment = serializers.IntegerField(
        source="assignment_id", help_text=_h("会办交办", "Assignment id")
    )
    unit = serializers.CharField(
        source="assignment.unit.name", help_text=_h("会办单位", "Co-handling unit")
    )
    text = serializers.CharField(help_text=_h("会办意见", "Opinion"))
    status = serializers.CharField(
        help_text=_h("状态：draft 草稿，pending_leader 待负责人审核，sent 已送主办单位", "Status")
    )
    sent_at = serializers.DateTimeField(
        allow_null=True, help_text=_h("送达时间", "Sent to the lead unit at")
    )


class ContactSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_h("沟通记录编号", "Contact record id"))
    assignment = serializers.IntegerField(
        source="assignment_id", help_text=_h("交办", "Assignment id")
    )
    unit = serializers.CharField(source="assignment.unit.name", help_text=_h("单位", "Unit"))
    method = serializers.ChoiceField(
        choices=ContactMethod.choices, help_text=_h("沟通方式", "Method")
    )
    contacted_on = serializers.DateField(help_text=_h("沟通日期", "Date of the contact"))
    participants = serializers.CharField(help_text=_h("参加人员", "Participants"))
    notes = serializers.CharField(help_text=_h("沟通情况", "What was discussed"))
    response = serializers.CharField(
        help_text=_h("代表委员确认：pending，confirmed，disputed", "The member's answer")
    )
    response_comment = serializers.CharField(help_text=_h("代表委员意见", "The member's comment"))


class UnitRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_h("申请编号", "Request id"))
    assignment = serializers.IntegerField(
        source="assignment_id", help_text=_h("交办", "Assignment id")
    )
    unit = serializers.CharField(source="assignment.unit.name", help_text=_h("单位", "Unit"))
    reason = serializers.CharField(help_text=_h("理由", "Reason"))
    status = serializers.CharField(help_text=_h("状态代码", "Status code"))
    requested_at = serializers.DateTimeField(help_text=_h("申请时间", "Requested at"))


class LetterLinkMixin(serializers.Serializer):
    letter_url = serializers.SerializerMethodField(
        help_text=_h(
            "答复函 PDF 的下载地址（已生成时；与网页相同的权限），否则为空",
            "The letter PDF's download URL once rendered (same permission as the page), else empty",
        )
    )

    def get_letter_url(self, reply: Reply) -> str:
        try:
            letter: Letter | None = reply.letter
        except Letter.DoesNotExist:
            letter = None
        if reply.status == "sent" and letter is not None and letter.status == LetterStatus.READY:
            return reverse("replies:letter", args=[reply.pk])
        return ""


class ReplySerializer(LetterLinkMixin):
    id = serializers.IntegerField(help_text=_h("答复编号", "Reply id"))
    item = serializers.IntegerField(source="proposal_id", help_text=_h("建议提案", "Item id"))
    assignment = serializers.IntegerField(
        source="assignment_id", help_text=_h("交办", "Assignment id")
    )
    unit = serializers.CharField(source="unit.name", help_text=_h("答复单位", "Replying unit"))
    status = serializers.CharField(
        help_text=_h(
            "状态：draft 草稿，submitted 待签发，in_review 待督办审核，sent 已发出，superseded 已更正",
            "Status",
        )
    )
    version = serializers.IntegerField(
        help_text=_h("版本号，保存时放在 If-Match 中", "Version; send it as If-Match when saving")
    )
    document_number = serializers.CharField(help_text=_h("文号", "Document number"))
    result_class = serializers.CharField(help_text=_h("答复类别，如 A", "Result class, e.g. A"))
    disclosure = serializers.CharField(
        help_text=_h("公开属性：public 同意公开，withheld 不予公开", "Disclosure")
    )
    title = serializers.CharField(help_text=_h("标题", "Title"))
    sent_at = serializers.DateTimeField(allow_null=True, help_text=_h("发出时间", "Sent at"))


class ReplyDetailSerializer(ReplySerializer):
    salutation = serializers.CharField(help_text=_h("称呼", "Salutation"))
    opening = serializers.CharField(help_text=_h("开头", "Opening"))
    body_html = serializers.CharField(help_text=_h("正文（HTML）", "Body (HTML)"))
    thanks = serializers.CharField(help_text=_h("结束语", "Closing"))
    withheld_reason = serializers.CharField(help_text=_h("不予公开理由", "Why it is not disclosed"))
    signing_unit = serializers.CharField(help_text=_h("署名单位", "Signing unit"))
    signed_on = serializers.DateField(allow_null=True, help_text=_h("成文日期", "Dated"))
    signer_name = serializers.CharField(help_text=_h("签发人", "Signed by"))
    contact_person = serializers.CharField(help_text=_h("联系人", "Contact person"))
    contact_phone = serializers.CharField(help_text=_h("联系电话", "Contact phone"))
    cc = serializers.CharField(help_text=_h("抄送", "Copies to"))
    return_comment = serializers.CharField(
        help_text=_h("退回修改意见（仅承办单位可见）", "Send-back comment (the unit only)")
    )


class EvaluationSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_h("测评编号", "Evaluation id"))
    reply = serializers.IntegerField(source="reply_id", help_text=_h("答复", "Reply id"))
    evaluator = serializers.CharField(
        source="evaluator.full_name", help_text=_h("测评人", "Evaluated by")
    )
    work_rating = serializers.ChoiceField(
        choices=Rating.choices, help_text=_h("办理工作（态度）", "Rating of the handling work")
    )
    result_rating = serializers.ChoiceField(
        choices=Rating.choices, help_text=_h("办理结果", "Rating of the result")
    )
    contacted = serializers.BooleanField(help_text=_h("承办单位是否联系", "Unit made contact"))
    face_to_face = serializers.BooleanField(help_text=_h("是否当面沟通", "Face to face"))
    comment = serializers.CharField(help_text=_h("意见和建议", "Comment"))
    submitted_at = serializers.DateTimeField(help_text=_h("测评时间", "Evaluated at"))


class ItemDetailSerializer(ItemSerializer):
    """The item page for this user: its text, people, timeline and handling."""

    body = serializers.CharField(help_text=_h("正文", "Text"))
    sections = serializers.ListField(
        child=serializers.DictField(),
        help_text=_h("分项内容 [{key, label, text}]", "Sections [{key, label, text}]"),
    )
    phase = serializers.CharField(help_text=_h("提出时段：during / between", "Phase"))
    leading_official = serializers.CharField(help_text=_h("牵头领导", "Leading official"))
    supervising_units = serializers.CharField(help_text=_h("督办单位", "Supervising units"))
    review_note = serializers.CharField(help_text=_h("审查意见", "Review note"))
    rejection_ground = serializers.CharField(
        help_text=_h("不予立案理由代码", "Rejection ground code")
    )
    withdrawal_reason = serializers.CharField(help_text=_h("撤案理由", "Withdrawal reason"))
    closing_note = serializers.CharField(help_text=_h("办结说明", "Closing note"))
    closed_at = serializers.DateTimeField(allow_null=True, help_text=_h("办结时间", "Closed at"))
    merged_into = serializers.SerializerMethodField(
        help_text=_h("并入的建议提案（您可见时）", "The item this one was merged into, if visible")
    )
    updated_at = serializers.DateTimeField(
        help_text=_h("修改时间（If-Unmodified-Since 用）", "Last change (for If-Unmodified-Since)")
    )
    etag = serializers.SerializerMethodField(
        help_text=_h("草稿的 ETag，修改时放在 If-Match 中", "The draft's ETag, for If-Match")
    )
    cosigners = CoSignerSerializer(many=True, help_text=_h("联名人", "Co-signers"))
    attachments = AttachmentSerializer(many=True, help_text=_h("附件", "Attachments"))
    timeline = EventSerializer(many=True, help_text=_h("办理过程", "Timeline"))
    assignments = AssignmentSerializer(many=True, help_text=_h("交办情况", "Assignments"))
    co_opinions = CoOpinionSerializer(many=True, help_text=_h("会办意见", "Co-handling opinions"))
    contacts = ContactSerializer(many=True, help_text=_h("答复前沟通", "Contact records"))
    return_requests = UnitRequestSerializer(many=True, help_text=_h("退回申请", "Return requests"))
    extension_requests = UnitRequestSerializer(
        many=True, help_text=_h("延期申请", "Extension requests")
    )
    replies = ReplySerializer(many=True, help_text=_h("答复", "Replies"))
    evaluations = EvaluationSerializer(many=True, help_text=_h("满意度测评", "Evaluations"))

    def get_merged_into(self, item: Proposal) -> int | None:
        return getattr(item, "visible_merged_into", None)

    def get_etag(self, item: Proposal) -> str:
        from .preconditions import item_etag

        return item_etag(item)


class ItemWriteSerializer(serializers.Serializer):
    """A draft: the meeting when new; title, category and text (one body, or the meeting's
    sections by key)."""

    meeting = serializers.IntegerField(
        required=False, help_text=_h("届次会议编号（仅新建时）", "Meeting id (new drafts only)")
    )
    title = serializers.CharField(
        max_length=100, help_text=_h("标题", "Title"), trim_whitespace=False
    )
    category = serializers.IntegerField(
        required=False, allow_null=True, help_text=_h("类别编号", "Category id")
    )
    body = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text=_h("正文（只有一项内容的会议）", "Text (meetings with one section)"),
    )
    sections = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text=_h(
            '分项内容，按键名：{"cause": "…", "reason": "…"}',
            "Texts by section key for meetings with several sections",
        ),
    )


class MemberRefSerializer(serializers.Serializer):
    member = serializers.IntegerField(
        help_text=_h("被邀请的代表、委员（用户编号）", "Member's user id")
    )


class AnswerSerializer(serializers.Serializer):
    accept = serializers.BooleanField(help_text=_h("true 确认，false 谢绝", "true to confirm"))


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        allow_blank=True, max_length=2000, help_text=_h("理由", "Reason")
    )


class ReviewSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[
            ("register", "立案"),
            ("reject", "不予立案"),
            ("merge", "并案"),
            ("convert", "转为意见"),
        ],
        help_text=_h("审查结果", "Review outcome"),
    )
    is_key = serializers.BooleanField(
        default=False, help_text=_h("重点建议提案（立案）", "Key item (register)")
    )
    leading_official = serializers.CharField(
        default="", allow_blank=True, max_length=60, help_text=_h("牵头领导", "Leading official")
    )
    supervising_units = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=200,
        help_text=_h("督办单位", "Supervising units"),
    )
    category = serializers.IntegerField(
        required=False, allow_null=True, help_text=_h("类别编号（立案）", "Category id")
    )
    rejection_ground = serializers.ChoiceField(
        choices=RejectionGround.choices,
        required=False,
        allow_blank=True,
        help_text=_h("不予立案理由（不予立案）", "Rejection ground (reject)"),
    )
    merge_into = serializers.IntegerField(
        required=False, help_text=_h("并入的建议提案编号（并案）", "Item to merge into (merge)")
    )
    note = serializers.CharField(
        default="", allow_blank=True, max_length=2000, help_text=_h("审查意见", "Note")
    )


class AssignSerializer(serializers.Serializer):
    lead_unit = serializers.IntegerField(
        required=False, allow_null=True, help_text=_h("主办单位编号", "Lead unit id")
    )
    co_units = serializers.ListField(
        child=serializers.IntegerField(),
        default=list,
        help_text=_h("会办单位", "Co-handling units"),
    )
    separate_units = serializers.ListField(
        child=serializers.IntegerField(), default=list, help_text=_h("分办单位", "Separate units")
    )


class ExtensionRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text=_h("理由", "Reason"))
    requested_due_on = serializers.DateField(help_text=_h("申请延至", "Requested due date"))


class DecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField(help_text=_h("true 同意，false 不同意", "true to approve"))
    note = serializers.CharField(
        default="", allow_blank=True, max_length=2000, help_text=_h("意见", "Note")
    )
    new_units = serializers.ListField(
        child=serializers.IntegerField(),
        default=list,
        help_text=_h("同意退回时改交的单位（督办）", "Units taking the item over (supervisor)"),
    )
    granted_due_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=_h("同意延至（督办）", "Granted due date (supervisor)"),
    )


class ContactCreateSerializer(serializers.Serializer):
    method = serializers.ChoiceField(
        choices=ContactMethod.choices, help_text=_h("沟通方式", "Method")
    )
    contacted_on = serializers.DateField(help_text=_h("沟通日期", "Date"))
    participants = serializers.CharField(max_length=300, help_text=_h("参加人员", "Participants"))
    notes = serializers.CharField(max_length=5000, help_text=_h("沟通情况", "Notes"))


class ContactAnswerSerializer(serializers.Serializer):
    confirm = serializers.BooleanField(
        help_text=_h("true 确认属实，false 有异议", "true to confirm")
    )
    comment = serializers.CharField(
        default="", allow_blank=True, max_length=2000, help_text=_h("意见", "Comment")
    )


class CoOpinionWriteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10000, help_text=_h("会办意见", "Opinion"))
    submit = serializers.BooleanField(
        default=False, help_text=_h("true 送审（负责人填写时直接送达）", "true to send it on")
    )


class OpinionDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField(help_text=_h("true 送达主办单位，false 退回", "Approve"))
    comment = serializers.CharField(
        default="", allow_blank=True, max_length=2000, help_text=_h("意见", "Comment")
    )


class ReplyWriteSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, max_length=200, help_text=_h("标题", "Title"))
    salutation = serializers.CharField(
        required=False, max_length=200, help_text=_h("称呼", "Salutation")
    )
    opening = serializers.CharField(required=False, help_text=_h("开头", "Opening"))
    body_html = serializers.CharField(
        required=False, allow_blank=True, help_text=_h("正文（HTML）", "Body (HTML)")
    )
    thanks = serializers.CharField(
        required=False, allow_blank=True, help_text=_h("结束语", "Closing")
    )
    result_class = serializers.CharField(
        required=False, allow_blank=True, max_length=10, help_text=_h("答复类别", "Result class")
    )
    disclosure = serializers.ChoiceField(
        choices=Disclosure.choices, required=False, help_text=_h("公开属性", "Disclosure")
    )
    withheld_reason = serializers.CharField(
        required=False, allow_blank=True, help_text=_h("不予公开理由", "Why not disclosed")
    )
    signing_unit = serializers.CharField(
        required=False, max_length=100, help_text=_h("署名单位", "Signing unit")
    )
    signed_on = serializers.DateField(
        required=False, allow_null=True, help_text=_h("成文日期", "Dated")
    )
    contact_person = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text=_h("联系人", "Contact person")
    )
    contact_phone = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text=_h("联系电话", "Contact phone")
    )
    cc = serializers.CharField(required=False, allow_blank=True, help_text=_h("抄送", "Copies to"))


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(
        allow_blank=True, max_length=2000, help_text=_h("修改意见", "Comment")
    )


class ApproveSerializer(serializers.Serializer):
    result_class = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=10,
        help_text=_h("调整后的答复类别（不调整留空）", "Changed result class, or empty"),
    )
    comment = serializers.CharField(
        default="", allow_blank=True, max_length=2000, help_text=_h("审核意见", "Comment")
    )


class EvaluateSerializer(serializers.Serializer):
    work_rating = serializers.ChoiceField(
        choices=Rating.choices, help_text=_h("办理工作（态度）", "Handling work")
    )
    result_rating = serializers.ChoiceField(
        choices=Rating.choices, help_text=_h("办理结果", "Result")
    )
    contacted = serializers.BooleanField(help_text=_h("承办单位是否联系", "Unit made contact"))
    face_to_face = serializers.BooleanField(help_text=_h("是否当面沟通", "Face to face"))
    comment = serializers.CharField(
        default="", allow_blank=True, max_length=2000, help_text=_h("意见和建议", "Comment")
    )


class RehandleSerializer(serializers.Serializer):
    replies = serializers.ListField(
        child=serializers.IntegerField(), help_text=_h("需重新办理的答复", "Replies to redo")
    )
    note = serializers.CharField(
        default="", allow_blank=True, max_length=2000, help_text=_h("说明", "Note")
    )


# --- notifications and the public portal ------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    message = serializers.CharField(help_text=_h("内容", "Message"))
    url = serializers.CharField(help_text=_h("相关网页", "Related page"))
    created_at = serializers.DateTimeField(help_text=_h("时间", "Time"))
    read_at = serializers.DateTimeField(allow_null=True, help_text=_h("已读时间", "Read at"))

    class Meta:
        model = Notification
        fields = ["id", "message", "url", "created_at", "read_at"]


class PublicReplySerializer(serializers.Serializer):
    """A disclosed reply as the public portal shows it: members' contact details hidden."""

    id = serializers.IntegerField(help_text=_h("答复编号", "Reply id"))
    title = serializers.CharField(help_text=_h("标题", "Title"))
    unit = serializers.CharField(source="unit.name", help_text=_h("答复单位", "Replying unit"))
    meeting = serializers.CharField(
        source="proposal.meeting.short_name", help_text=_h("届次会议", "Meeting")
    )
    document_number = serializers.CharField(help_text=_h("文号", "Document number"))
    publish_on = serializers.DateField(help_text=_h("公开日期", "Published on"))
    page_url = serializers.SerializerMethodField(help_text=_h("公开网页", "Portal page"))

    def get_page_url(self, reply: Reply) -> str:
        return reverse("portal:reply", args=[reply.pk])


class PublicReplyDetailSerializer(PublicReplySerializer):
    item_title = serializers.CharField(help_text=_h("建议提案标题", "Item title"))
    item_text = serializers.ListField(
        child=serializers.DictField(), help_text=_h("建议提案内容", "Item text [{label, text}]")
    )
    salutation = serializers.CharField(help_text=_h("称呼", "Salutation"))
    opening = serializers.CharField(help_text=_h("开头", "Opening"))
    body_html = serializers.CharField(help_text=_h("正文（HTML）", "Body (HTML)"))
    thanks = serializers.CharField(help_text=_h("结束语", "Closing"))
    letter_url = serializers.CharField(
        help_text=_h("答复函 PDF（已生成时）", "Letter PDF once rendered, else empty")
    )


class SubmitSerializer(serializers.Serializer):
    acknowledged = serializers.ListField(
        child=serializers.CharField(max_length=40),
        default=list,
        help_text=_h(
            "看过的提交前检查提示代码（如 personal_matter）",
            "Codes of the pre-check warnings you have read",
        ),
    )


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(
        help_text=_h("错误说明（与网页相同的中文）", "What went wrong, in the page's Chinese")
    )
    code = serializers.CharField(help_text=_h("错误代码", "Error code"))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_h("按字段的错误", "Errors by field"),
    )


class ReadCountSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text=_h("标为已读的条数", "How many were marked read"))
