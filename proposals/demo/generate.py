"""Generate many realistic items quickly (bulk inserts), for benchmarks and load tests."""

from __future__ import annotations

import random
import re
from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from tqdm import tqdm

from accounts.models import MemberProfile, User

from .. import search
from ..models import (
    Category,
    CoSigner,
    CoSignerStatus,
    EventAction,
    Meeting,
    Proposal,
    ProposalEvent,
    ProposalStatus,
    RejectionGround,
)
from . import data

BATCH = 2000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "建国敏华丽娟伟强军平秀英芳玉兰明霞静丹亮红梅超波辉刚勇杰涛斌磊鹏文海燕琳洁雪慧颖晨宇浩然志远佳怡子涵欣怡思源博文雨轩梓萱"
DELEGATIONS = [
    "上城",
    "拱墅",
    "西湖",
    "滨江",
    "萧山",
    "余杭",
    "临平",
    "钱塘",
    "富阳",
    "临安",
    "桐庐",
    "淳安",
    "建德",
]
SECTORS = [
    "中共界",
    "民革界",
    "民盟界",
    "民建界",
    "民进界",
    "农工党界",
    "经济界",
    "教育界",
    "医药卫生界",
    "社会福利和社会保障界",
    "法律界",
    "文化艺术界",
]
ACTIONS = [
    "加快推进",
    "进一步完善",
    "加强",
    "优化",
    "建立健全",
    "大力发展",
    "规范",
    "推动",
    "提升",
    "支持",
]
TOPICS = [
    "社区嵌入式养老服务",
    "普惠托育服务供给",
    "未成年人关爱保护",
    "老旧小区加装电梯",
    "城市慢行交通系统",
    "中小学课后服务",
    "基层医疗卫生服务能力",
    "农村生活污水治理",
    "新能源汽车充电设施",
    "公共停车位供给",
    "困境儿童保障",
    "残疾人就业帮扶",
    "退役军人服务保障",
    "食品安全监管",
    "数字政府建设",
    "营商环境",
    "中小企业融资服务",
    "乡村振兴人才队伍",
    "历史文化街区保护",
    "全民健身设施",
    "垃圾分类长效机制",
    "河湖长制落实",
    "住房公积金使用",
    "心理健康服务体系",
    "社区应急管理能力",
    "家庭医生签约服务",
    "校园周边交通安全",
    "农产品品牌建设",
    "公共文化服务",
    "人才公寓建设",
]


def _sentences() -> list[str]:
    texts = [
        data.chaotian_15_body(),
        data.HANGZHOU_39_BODY,
        data.ZHUZHOU_1230_BODY,
        data.WANYUAN_026_BODY,
        data.sample_text("policy-hubei-child-welfare-2022.txt"),
    ]
    found: list[str] = []
    for text in texts:
        found.extend(
            s.strip() + "。" for s in re.split(r"[。\n]", text) if 12 <= len(s.strip()) <= 120
        )
    return found


def _ensure_members(rng: random.Random, body: str, want: int) -> list[User]:
    existing = list(
        User.objects.filter(role="member", member_profile__body=body).select_related(
            "member_profile"
        )
    )
    missing = want - len(existing)
    if missing > 0:
        password = make_password(data.DEMO_PASSWORD)
        start = User.objects.filter(username__startswith=f"gen_{body}_").count()
        new_users = [
            User(
                username=f"gen_{body}_{start + i:04d}",
                full_name=rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)),
                role="member",
                password=password,
            )
            for i in range(missing)
        ]
        User.objects.bulk_create(new_users)
        profiles = []
        for user in new_users:
            if body == "npc":
                delegation = rng.choice(DELEGATIONS)
                profiles.append(
                    MemberProfile(
                        user=user,
                        body=body,
                        submitter_type="deputy",
                        delegation=f"{delegation}代表团",
                        number_prefix=delegation,
                        phone=f"138{rng.randrange(10**8):08d}",
                    )
                )
            else:
                profiles.append(
                    MemberProfile(
                        user=user,
                        body=body,
                        submitter_type="cppcc_member",
                        sector=rng.choice(SECTORS),
                        phone=f"139{rng.randrange(10**8):08d}",
                    )
                )
        MemberProfile.objects.bulk_create(profiles)
        existing = list(
            User.objects.filter(role="member", member_profile__body=body).select_related(
                "member_profile"
            )
        )
    return existing


def generate_items(count: int, *, seed: int = 2026, stdout: Any = None) -> int:
    """Create `count` items spread over the existing meetings, with co-signers and events."""
    rng = random.Random(seed)
    meetings = list(Meeting.objects.all())
    if not meetings:
        raise RuntimeError("先运行 seed_demo 建立会议。")
    members = {
        body: _ensure_members(rng, body, 300 if body == "npc" else 200) for body in ("npc", "cppcc")
    }
    categories = {
        body: list(Category.objects.filter(body=body, parent__isnull=False))
        for body in ("npc", "cppcc")
    }
    reviewers = {
        body: User.objects.filter(role="supervisor", supervisor_scope__in=[body, "all"]).first()
        for body in ("npc", "cppcc")
    }
    sentences = _sentences()
    next_number: dict[tuple[int, str], int] = {}
    for meeting in meetings:
        last = Proposal.objects.filter(meeting=meeting, kind=meeting.item_kind).aggregate(
            m=Max("number")
        )["m"]
        next_number[(meeting.pk, meeting.item_kind)] = (last or 0) + 1
    statuses = (
        [ProposalStatus.REGISTERED] * 75
        + [ProposalStatus.SUBMITTED] * 12
        + [ProposalStatus.REJECTED] * 5
        + [ProposalStatus.CONVERTED] * 4
        + [ProposalStatus.WITHDRAWN] * 4
    )
    progress = tqdm(
        total=count, desc="生成建议提案", unit="件", file=stdout, disable=stdout is None
    )
    created = 0
    while created < count:
        size = min(BATCH, count - created)
        with transaction.atomic():
            items: list[Proposal] = []
            for _ in range(size):
                meeting = rng.choice(meetings)
                body = meeting.body
                lead = rng.choice(members[body])
                status = rng.choice(statuses)
                span = max(
                    (meeting.submission_closes_at - meeting.submission_opens_at).total_seconds(),
                    3600,
                )
                submitted = meeting.submission_opens_at + timedelta(
                    seconds=rng.uniform(0, min(span, 86400 * 300))
                )
                submitted = min(submitted, timezone.now())
                kind_word = "建议" if body == "npc" else "提案"
                title = f"关于{rng.choice(ACTIONS)}{rng.choice(TOPICS)}的{'建议' if rng.random() < 0.8 else kind_word}"
                text = "\n\n".join(
                    "".join(rng.sample(sentences, 3)) for _ in range(rng.randint(3, 6))
                )
                item = Proposal(
                    meeting=meeting,
                    kind=meeting.item_kind,
                    title=title[:100],
                    body=text[: meeting.body_max_chars],
                    category=rng.choice(categories[body]),
                    lead=lead,
                    status=status,
                    phase=meeting.phase_on(submitted),
                    submitted_at=submitted,
                )
                if status != ProposalStatus.SUBMITTED:
                    item.reviewed_at = submitted + timedelta(days=rng.randint(3, 30))
                if status == ProposalStatus.REGISTERED:
                    key = (meeting.pk, meeting.item_kind)
                    item.number = next_number[key]
                    next_number[key] += 1
                    item.number_label = meeting.format_number(
                        item.number, lead.member_profile.number_prefix
                    )
                    item.is_key = rng.random() < 0.05
                elif status == ProposalStatus.REJECTED:
                    item.rejection_ground = rng.choice(RejectionGround.values)
                    item.review_note = "经审查，所提事项不符合立案条件，已转有关部门参考。"
                elif status == ProposalStatus.CONVERTED:
                    item.review_note = "转为代表来信，交有关部门研究处理。"
                elif status == ProposalStatus.WITHDRAWN:
                    item.withdrawal_reason = "所提问题已解决，申请撤案。"
                items.append(item)
            Proposal.objects.bulk_create(items)
            search.update_vectors(Proposal, [(item.pk, item.title, item.body) for item in items])
            events: list[ProposalEvent] = []
            cosigners: list[CoSigner] = []
            for item in items:
                submitted_at = item.submitted_at or timezone.now()
                created_at = submitted_at - timedelta(days=1)
                events.append(
                    ProposalEvent(
                        proposal=item,
                        actor=item.lead,
                        created_at=created_at,
                        action=EventAction.CREATED,
                        to_status=ProposalStatus.DRAFT,
                    )
                )
                if rng.random() < 0.3:
                    pool = members[item.meeting.body]
                    for member in rng.sample(pool, rng.randint(1, 3)):
                        if member.pk != item.lead_id:
                            cosigners.append(
                                CoSigner(
                                    proposal=item,
                                    member=member,
                                    status=CoSignerStatus.CONFIRMED,
                                    invited_at=created_at,
                                    responded_at=created_at + timedelta(hours=3),
                                )
                            )
                events.append(
                    ProposalEvent(
                        proposal=item,
                        actor=item.lead,
                        created_at=submitted_at,
                        action=EventAction.SUBMITTED,
                        from_status=ProposalStatus.DRAFT,
                        to_status=ProposalStatus.SUBMITTED,
                    )
                )
                final: dict[str, Any] = {
                    ProposalStatus.REGISTERED: (
                        EventAction.REGISTERED,
                        reviewers[item.meeting.body],
                    ),
                    ProposalStatus.REJECTED: (EventAction.REJECTED, reviewers[item.meeting.body]),
                    ProposalStatus.CONVERTED: (EventAction.CONVERTED, reviewers[item.meeting.body]),
                    ProposalStatus.WITHDRAWN: (EventAction.WITHDRAWN, item.lead),
                }
                if item.status in final:
                    action, actor = final[item.status]
                    events.append(
                        ProposalEvent(
                            proposal=item,
                            actor=actor,
                            created_at=item.reviewed_at or submitted_at,
                            action=action,
                            from_status=ProposalStatus.SUBMITTED,
                            to_status=item.status,
                            note=item.number_label or item.review_note or item.withdrawal_reason,
                        )
                    )
            CoSigner.objects.bulk_create(cosigners, ignore_conflicts=True)
            ProposalEvent.objects.bulk_create(events)
        created += size
        progress.update(size)
    progress.close()
    return created
