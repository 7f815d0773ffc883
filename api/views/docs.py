"""Shared pieces of the OpenAPI description: the error answers and examples from the demo."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse

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
