"""Shared pieces of the OpenAPI description: the error answers and examples from the demo."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from ..serializers import ErrorSerializer

ERRORS = {
    401: OpenApiResponse(ErrorSerializer, description="未登录 / Not logged in"),
    403: OpenApiResponse(
        ErrorSerializer, description="您的角色或身份不能这样做 / Not allowed for you"
    ),
    404: OpenApiResponse(
        ErrorSerializer, description="不存在或您无权查看 / Missing or not visible to you"
    ),
    429: OpenApiResponse(
        ErrorSerializer, description="请求过于频繁，见 Retry-After / Throttled, see Retry-After"
    ),
}
WRITE_ERRORS = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="不符合办理规则，说明与网页相同 / Refused by the rules, with the page's message",
        examples=[
            OpenApiExample(
                "不予立案须写说明 / A rejection needs a note",
                value={
                    "detail": "请写明不予立案的说明，代表委员会看到这段话。",
                    "code": "invalid",
                    "errors": {"note": ["请写明不予立案的说明，代表委员会看到这段话。"]},
                },
            )
        ],
    ),
    **ERRORS,
    412: OpenApiResponse(
        ErrorSerializer, description="草稿已被他人修改 / The draft changed since you read it"
    ),
    428: OpenApiResponse(
        ErrorSerializer, description="缺少 If-Match 或 If-Unmodified-Since / Precondition missing"
    ),
}

ITEM_ROW = {
    "id": 15,
    "kind": "suggestion",
    "title": "关于扩大普惠托育服务供给的建议",
    "status": "assigned",
    "status_label": "已交办",
    "number_label": "萧山39号",
    "meeting": {"id": 1, "short_name": "市十四届人大三次会议", "body": "npc"},
    "category": "社会事业 › 民政",
    "lead": "何红",
    "is_key": False,
    "submitted_at": "2026-01-12T09:30:00+08:00",
    "url": "/api/v1/items/15/",
}
ITEM_LIST_EXAMPLE = OpenApiExample(
    "列表 / List",
    response_only=True,
    value={"next": "/api/v1/items/?cursor=cD0xNQ%3D%3D", "previous": None, "results": [ITEM_ROW]},
)
ITEM_EXAMPLE = OpenApiExample(
    "已交办的建议 / An assigned suggestion",
    response_only=True,
    value={
        **ITEM_ROW,
        "body": "建议加快建设社区托育服务点，扩大普惠托位供给。",
        "timeline": [
            {
                "time": "2026-01-12T09:30:00+08:00",
                "action": "submitted",
                "label": "提交",
                "actor": "何红",
                "from_status": "draft",
                "to_status": "submitted",
                "note": "",
            },
            {
                "time": "2026-01-20T10:00:00+08:00",
                "action": "assigned",
                "label": "交办",
                "actor": "人大代表工委",
                "from_status": "registered",
                "to_status": "assigned",
                "note": "主办：市民政局；会办：团市委",
            },
        ],
        "assignments": [
            {
                "id": 7,
                "item": 15,
                "unit": "杭州市民政局",
                "role": "lead",
                "round": 1,
                "status": "accepted",
                "status_label": "办理中",
                "assigned_at": "2026-01-20T10:00:00+08:00",
                "due_on": "2026-04-20",
            }
        ],
    },
)


def _query(name: str, kind: OpenApiTypes, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, kind, OpenApiParameter.QUERY, description=description)


# the item list page's filters (proposals.filters.ProposalFilter), described for the schema
ITEM_FILTERS = [
    _query(
        "q", OpenApiTypes.STR, "关键词：标题、正文、编号或领衔人姓名 / Words, number or lead's name"
    ),
    _query("meeting", OpenApiTypes.INT, "届次会议编号 / Meeting id"),
    _query("kind", OpenApiTypes.STR, "类型：suggestion 建议，proposal 提案 / Kind"),
    _query("category", OpenApiTypes.INT, "类别编号 / Category id"),
    _query("status", OpenApiTypes.STR, "状态代码，如 assigned / Status code"),
    _query("is_key", OpenApiTypes.BOOL, "重点建议提案 / Key items only (true) or not (false)"),
    _query("unit", OpenApiTypes.INT, "承办单位编号 / Handling unit id"),
    _query("role", OpenApiTypes.STR, "承办方式：lead，co，separate / The unit's role"),
    _query("result_class", OpenApiTypes.STR, "答复类别，如 A / Result class of a sent reply"),
    _query("satisfaction", OpenApiTypes.STR, "办理结果满意度 / Result rating"),
    _query("overdue", OpenApiTypes.BOOL, "逾期 / Overdue (true) or not (false)"),
    _query("due_within", OpenApiTypes.INT, "几天内到期 / Due within N days"),
    _query(
        "ordering",
        OpenApiTypes.STR,
        "接口列表按游标分页（新的在前），不使用此参数 / Ignored: API lists are in cursor order",
    ),
]
# the unit workspace's filters (proposals.filters.AssignmentFilter)
ASSIGNMENT_FILTERS = [
    _query("q", OpenApiTypes.STR, "关键词：标题、编号或领衔人 / Title, number or lead"),
    _query("meeting", OpenApiTypes.INT, "届次会议编号 / Meeting id"),
    _query("role", OpenApiTypes.STR, "承办方式：lead，co，separate / Role"),
    _query("status", OpenApiTypes.STR, "交办状态，如 accepted / Assignment status"),
    _query("overdue", OpenApiTypes.BOOL, "逾期 / Overdue"),
    _query("due_within", OpenApiTypes.INT, "几天内到期 / Due within N days"),
    _query(
        "ordering",
        OpenApiTypes.STR,
        "接口列表按游标分页（新的在前），不使用此参数 / Ignored: API lists are in cursor order",
    ),
]
# the public portal's filters (replies.portal.PortalFilter)
PORTAL_FILTERS = [
    _query(
        "q",
        OpenApiTypes.STR,
        "关键词（可检索两个字的词，如“养老”） / Words, two-character ones too",
    ),
    _query("year", OpenApiTypes.INT, "年度 / Year"),
    _query("body", OpenApiTypes.STR, "npc 人大，cppcc 政协 / Body"),
    _query("meeting", OpenApiTypes.INT, "届次会议编号 / Meeting id"),
    _query("unit", OpenApiTypes.INT, "答复单位编号 / Replying unit id"),
    _query("category", OpenApiTypes.INT, "类别编号 / Category id"),
]
