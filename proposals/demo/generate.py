"""Generate many realistic items quickly (bulk inserts), for benchmarks and load tests.

Items that pass review (立案) are handled as in a real year: almost all are handed to units of
the meeting's locality (交办) a few days after review, either to one lead unit with 0–4
co-handling units or to 2–5 separate units, about four assignments per handled item. Their due
dates, return windows and statuses follow the meeting's policy and today's date: items assigned
long ago are mostly answered (a sent reply with a document number, class A/B/C, evaluation and
disclosure dates; co-handling opinions sent), recent ones are still running (待签收, 办理中, some
opinions sent), and a few are past their due date. Items registered in the last days, and a small
share of the others, wait for 交办. Units of the locality are created when fewer than 40 exist,
each with one 承办员 and one 负责人. Some items submitted lately to a meeting still open are
still drafts with co-signers invited. What handling leaves besides (drafts and opinions in
progress, requests, contacts, evaluations, 办结 and 重新办理, follow-ups) comes from
lifecycle.py. Everything is inserted in batches.
"""

from __future__ import annotations

import bisect
import html
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_noop
from tqdm import tqdm

from accounts.document_numbers import unit_document_number
from accounts.language import Text
from accounts.models import MemberProfile, Role, Unit, User
from replies.models import Disclosure, DocumentCounter, Reply, ReplyStatus
from replies.redact import redact_text

from .. import search, workdays
from ..models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Category,
    CoOpinion,
    CoOpinionStatus,
    CoSigner,
    CoSignerStatus,
    EventAction,
    Meeting,
    Proposal,
    ProposalEvent,
    ProposalStatus,
    RejectionGround,
)
from ..sections import SectionText, is_sectioned, joined_text, policy_of, stored_sections
from ..services.common import note_fields, reply_sent_note
from . import data
from .lifecycle import Lifecycle, Progress

BATCH = 2000
INSERT_BATCH = 500  # rows per INSERT statement (one huge statement is slower to build)
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


def _set_vectors(rows: Sequence[Proposal | Reply], texts: Sequence[tuple[str, str]]) -> None:
    """The search terms of (title, text), as search.update_vectors stores them, set before the
    insert (PostgreSQL): one write per row instead of an insert and an update."""
    if not search.uses_index():
        return
    for row, (title, text) in zip(rows, texts, strict=True):
        # the literal as a parameter: PostgreSQL reads it as the column's tsvector
        row.search_vector = search.vector_literal(title, text)


# --- handling units ---------------------------------------------------------------------------

# (full name, short name, document prefix): bureaus of the three demo localities, added to the
# sample units when the database has fewer than MIN_UNITS units.
MIN_UNITS = 40
UNIT_SPECS = [
    ("杭州市教育局", "市教育局", "杭教函"),
    ("杭州市卫生健康委员会", "市卫健委", "杭卫函"),
    ("杭州市发展和改革委员会", "市发改委", "杭发改函"),
    ("杭州市经济和信息化局", "市经信局", "杭经信函"),
    ("杭州市公安局", "市公安局", "杭公函"),
    ("杭州市司法局", "市司法局", "杭司函"),
    ("杭州市人力资源和社会保障局", "市人社局", "杭人社函"),
    ("杭州市规划和自然资源局", "市规划资源局", "杭规资函"),
    ("杭州市生态环境局", "市生态环境局", "杭环函"),
    ("杭州市住房保障和房产管理局", "市住保房管局", "杭房函"),
    ("杭州市城乡建设委员会", "市建委", "杭建函"),
    ("杭州市交通运输局", "市交通运输局", "杭交函"),
    ("杭州市城市管理局", "市城管局", "杭城管函"),
    ("杭州市林业水利局", "市林水局", "杭林水函"),
    ("杭州市农业农村局", "市农业农村局", "杭农函"),
    ("杭州市商务局", "市商务局", "杭商务函"),
    ("杭州市文化广电旅游局", "市文广旅游局", "杭文旅函"),
    ("杭州市市场监督管理局", "市市场监管局", "杭市监函"),
    ("杭州市体育局", "市体育局", "杭体函"),
    ("杭州市医疗保障局", "市医保局", "杭医保函"),
    ("杭州市退役军人事务局", "市退役军人局", "杭退役函"),
    ("杭州市应急管理局", "市应急管理局", "杭应急函"),
    ("杭州市数据资源管理局", "市数据资源局", "杭数据函"),
    ("杭州市残疾人联合会", "市残联", "杭残联函"),
    ("杭州市妇女联合会", "市妇联", "杭妇函"),
    ("杭州住房公积金管理中心", "市公积金中心", "杭积金函"),
    ("株洲市教育局", "株洲市教育局", "株教函"),
    ("株洲市卫生健康委员会", "株洲市卫健委", "株卫函"),
    ("株洲市人力资源和社会保障局", "株洲市人社局", "株人社函"),
    ("株洲市住房和城乡建设局", "株洲市住建局", "株建函"),
    ("株洲市财政局", "株洲市财政局", "株财函"),
    ("株洲市农业农村局", "株洲市农业农村局", "株农函"),
    ("株洲市残疾人联合会", "株洲市残联", "株残联函"),
    ("广元市朝天区卫生健康局", "区卫健局", "朝卫函"),
    ("广元市朝天区人力资源和社会保障局", "区人社局", "朝人社函"),
    ("广元市朝天区财政局", "区财政局", "朝财函"),
    ("广元市朝天区农业农村局", "区农业农村局", "朝农函"),
    ("广元市朝天区住房和城乡建设局", "区住建局", "朝建函"),
    ("广元市朝天区文化旅游和体育局", "区文旅体局", "朝文旅函"),
    ("共青团广元市朝天区委员会", "团区委", "朝团函"),
]
# a meeting's units are those whose name names its locality (杭州市…, 株洲市…, 朝天区…)
LOCALITIES = ("杭州", "株洲", "朝天")
MIN_POOL = 6  # fewer units of the locality: the meeting draws from all units

# --- the shape of handling --------------------------------------------------------------------

WAITING_SHARE = 0.02  # registered items still waiting for 交办 (besides those registered lately)
SEPARATE_SHARE = 0.15  # items given to separate units (分办) instead of a lead unit
CO_COUNTS, CO_WEIGHTS = (0, 1, 2, 3, 4), (3, 7, 15, 30, 45)  # co units next to the lead: 3.07
SEPARATE_COUNTS, SEPARATE_WEIGHTS = (2, 3, 4, 5), (25, 35, 25, 15)  # separate units: 3.3
LATE_SHARE = 0.08  # replies sent after the due date
PUBLIC_SHARE = 0.85  # replies marked 同意公开
CLASS_WEIGHTS = (50, 35, 15)  # the meeting's first, second, third result class (A/B/C)
# the portal's search terms of the generated replies (about 8% of the time of seed_demo --items;
# `manage.py reindex_search` rebuilds them when this is off)
REPLY_SEARCH_TERMS = True
OPINION_TEXT = "{unit}同意主办单位的办理意见，将在职责范围内配合做好相关工作。"
# items submitted in the last DRAFT_DAYS to a meeting still open: this share is still a draft
DRAFT_DAYS, DRAFT_SHARE = 90, 0.6
DRAFT_INVITE_SHARE = 0.4  # drafts without co-signers from the usual draw that invite one or two


def _ensure_units(rng: random.Random) -> list[Unit]:
    """The active units, after adding UNIT_SPECS (those missing) when fewer than MIN_UNITS."""
    if Unit.objects.filter(is_active=True).count() < MIN_UNITS:
        Unit.objects.bulk_create(
            [
                Unit(
                    name=name,
                    short_name=short,
                    document_prefix=prefix,
                    contact_person=rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)),
                    contact_phone=f"0571-8{rng.randrange(10**6):06d}",
                )
                for name, short, prefix in UNIT_SPECS
            ],
            ignore_conflicts=True,  # the unique name: specs that exist already are skipped
        )
    return list(Unit.objects.filter(is_active=True).order_by("pk"))


@dataclass(frozen=True)
class UnitPeople:
    staff: User
    leader: User


def _ensure_unit_people(rng: random.Random, units: list[Unit]) -> dict[int, UnitPeople]:
    """One 承办员 and one 负责人 per unit (created where the unit has none), with a mobile number
    for SMS reminders."""

    def current() -> dict[tuple[int, str], User]:
        found: dict[tuple[int, str], User] = {}
        for user in User.objects.filter(
            unit__in=units, role__in=[Role.UNIT_STAFF, Role.UNIT_LEADER], is_active=True
        ).order_by("pk"):
            found.setdefault((user.unit_id or 0, user.role), user)
        return found

    people = current()
    password = ""
    missing: list[User] = []
    for unit in units:
        for role, word in ((Role.UNIT_STAFF, "staff"), (Role.UNIT_LEADER, "leader")):
            if (unit.pk, role) in people:
                continue
            password = password or make_password(data.DEMO_PASSWORD)
            missing.append(
                User(
                    username=f"gen_unit{unit.pk}_{word}",
                    full_name=rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)),
                    role=role,
                    unit=unit,
                    password=password,
                    mobile=f"137{rng.randrange(10**8):08d}",
                )
            )
    if missing:
        User.objects.bulk_create(missing, ignore_conflicts=True)
        people = current()
    found: dict[int, UnitPeople] = {}
    for unit in units:
        staff = people.get((unit.pk, Role.UNIT_STAFF)) or people.get((unit.pk, Role.UNIT_LEADER))
        leader = people.get((unit.pk, Role.UNIT_LEADER)) or staff
        if staff is None or leader is None:  # a login gen_unit… exists with another role
            raise RuntimeError(f"{unit.name}没有承办员或负责人，无法生成交办。")
        found[unit.pk] = UnitPeople(staff, leader)
    return found


@dataclass
class Batch:
    """What one batch of items brings along besides the items themselves."""

    assignments: list[Assignment] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    reply_texts: list[str] = field(default_factory=list)  # for the search terms
    opinions: list[CoOpinion] = field(default_factory=list)
    events: list[ProposalEvent] = field(default_factory=list)
    # the replies of each item, whose salutation names the co-signers chosen later
    replies_of: dict[int, list[Reply]] = field(default_factory=dict)
    # work in progress, evaluations and follow-ups (lifecycle.py)
    progress: Progress = field(default_factory=Progress)


class Handling:
    """Plans the assignments, co-handling opinions and sent replies of registered items."""

    def __init__(
        self,
        rng: random.Random,
        meetings: Sequence[Meeting],
        sentences: list[str],
        life: random.Random,
    ) -> None:
        self.rng = rng
        self.sentences = sentences
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        units = _ensure_units(rng)
        self.people = _ensure_unit_people(rng, units)
        # some units carry much more than others; the civil-affairs bureaus most of all
        weight = {
            unit.pk: 8 if "民政" in unit.name else rng.choice((1, 1, 2, 2, 3, 4, 6))
            for unit in units
        }
        self.pools: dict[int, tuple[list[Unit], list[int]]] = {}
        for meeting in meetings:
            key = next((k for k in LOCALITIES if k in meeting.name), None)
            pool = [unit for unit in units if key and key in unit.name]
            if len(pool) < MIN_POOL:
                pool = units
            self.pools[meeting.pk] = (pool, [weight[unit.pk] for unit in pool])
        self.counters: dict[tuple[int, int], int] = {
            (unit_id, year): serial
            for unit_id, year, serial in DocumentCounter.objects.values_list(
                "unit_id", "year", "last_serial"
            )
        }
        self.changed_counters: set[tuple[int, int]] = set()
        self._working: list[date] = []
        opened = min((m.submission_opens_at for m in meetings), default=self.now)
        self._span = (
            timezone.localdate(opened) - timedelta(days=31),
            self.today + timedelta(days=800),
        )
        self.lifecycle = Lifecycle(self, life)

    def working_days(self, start: date, count: int) -> date:
        """workdays.add_working_days(start, count), from one read of the calendar: the n-th
        working day after `start` in a list of the working days (holidays, 调休 and the
        administrator's CalendarDay entries, decided as workdays decides them)."""
        if count <= 0:
            return start
        if not self._working:
            overrides = workdays._overrides(*self._span)
            first, last = self._span
            for n in range((last - first).days + 1):
                day = first + timedelta(days=n)
                working = overrides.get(day)
                if working is None:
                    working = workdays._official_is_working_day(day)
                if working:
                    self._working.append(day)
        position = bisect.bisect_right(self._working, start) + count - 1
        if not self._span[0] <= start or position >= len(self._working):
            return workdays.add_working_days(start, count)  # outside the list
        return self._working[position]

    def _pick(self, meeting: Meeting, count: int) -> list[Unit]:
        pool, weights = self.pools[meeting.pk]
        chosen: dict[int, Unit] = {}
        while len(chosen) < min(count, len(pool)):
            unit = self.rng.choices(pool, weights)[0]
            chosen.setdefault(unit.pk, unit)
        return list(chosen.values())

    def _between(self, start: datetime, end: datetime) -> datetime:
        if end <= start:
            return end
        return start + (end - start) * self.rng.random()

    def _end_of(self, day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, time(17)))

    def plan(self, item: Proposal, actor: User | None, batch: Batch, index: int) -> None:
        """Assign the registered `item` (or leave it waiting) and set its status."""
        rng = self.rng
        latest = self.now - timedelta(hours=1)
        if item.reviewed_at is None or actor is None:
            return
        assigned_at = item.reviewed_at + timedelta(seconds=rng.uniform(86400, 7 * 86400))
        waiting = rng.random() < WAITING_SHARE
        if waiting or assigned_at > latest:
            return  # 待交办
        meeting = item.meeting
        assigned_on = timezone.localdate(assigned_at)
        reply_due = meeting.reply_due_on(assigned_on)
        co_due = meeting.co_opinion_due_on(assigned_on)
        return_until = self.working_days(assigned_on, meeting.return_window_working_days)
        pool_size = len(self.pools[meeting.pk][0])
        if rng.random() < SEPARATE_SHARE and pool_size >= 2:
            units = self._pick(meeting, rng.choices(SEPARATE_COUNTS, SEPARATE_WEIGHTS)[0])
            roles: Sequence[str] = [AssignmentRole.SEPARATE] * len(units)
        else:
            units = self._pick(meeting, 1 + rng.choices(CO_COUNTS, CO_WEIGHTS)[0])
            roles = [AssignmentRole.LEAD] + [AssignmentRole.CO] * (len(units) - 1)

        # how far the replying units are: almost all answered once the due date is long past
        late_days = (self.today - reply_due).days
        if late_days > 180:
            replied_share = 0.995
        elif late_days > 0:
            replied_share = 0.95
        elif (self.today - assigned_on).days > 45:
            replied_share = 0.1  # answered before the due date
        else:
            replied_share = 0.0
        in_window = self.today <= return_until
        plan: list[tuple[Unit, str, Assignment]] = []
        sent_times: list[datetime] = []
        for unit, role in zip(units, roles, strict=True):
            due = co_due if role == AssignmentRole.CO else reply_due
            assignment = Assignment(
                proposal=item,
                unit=unit,
                role=role,
                round=1,
                assigned_at=assigned_at,
                assigned_by=actor,
                due_on=due,
                original_due_on=due,
                return_until=return_until,
            )
            plan.append((unit, role, assignment))
            if role == AssignmentRole.CO:
                continue
            if rng.random() < replied_share:
                assignment.status = AssignmentStatus.REPLIED
                if rng.random() < LATE_SHARE:
                    start, end = (
                        self._end_of(due) + timedelta(days=1),
                        self._end_of(due) + timedelta(days=40),
                    )
                else:
                    start, end = assigned_at + timedelta(days=20), self._end_of(due)
                end = min(end, latest)
                sent = self._between(min(start, end), end)
                assignment.ended_at = sent
                sent_times.append(sent)
            elif rng.random() < (0.5 if in_window else 0.03):
                assignment.status = AssignmentStatus.ASSIGNED
            else:
                assignment.status = AssignmentStatus.ACCEPTED
        replying = [a for _u, role, a in plan if role != AssignmentRole.CO]
        all_replied = all(a.status == AssignmentStatus.REPLIED for a in replying)
        first_sent = min(sent_times, default=latest)
        for _unit, role, assignment in plan:
            if role != AssignmentRole.CO:
                continue
            # signed for unless the unit is left to sign for it below (an opinion not sent)
            assignment.status = AssignmentStatus.ACCEPTED
            if all_replied or co_due < self.today:
                sent_opinion = all_replied or rng.random() < 0.92
            elif in_window:
                sent_opinion = False
                if rng.random() < 0.5:
                    assignment.status = AssignmentStatus.ASSIGNED
            else:
                sent_opinion = rng.random() < 0.35
            if sent_opinion:
                assignment.status = AssignmentStatus.OPINION_SENT
                end = min(first_sent - timedelta(days=1), self._end_of(co_due), latest)
                assignment.ended_at = self._between(assigned_at + timedelta(days=3), end)
        co_names = "、".join(
            unit.short_name for unit, role, _a in plan if role == AssignmentRole.CO
        )
        for unit, role, assignment in plan:
            people = self.people[unit.pk]
            if assignment.status != AssignmentStatus.ASSIGNED:
                end = min(assignment.ended_at or latest, latest)
                accepted = assigned_at + timedelta(seconds=rng.uniform(3600, 4 * 86400))
                assignment.accepted_at = min(accepted, self._between(assigned_at, end))
                assignment.accepted_by = people.staff
            batch.assignments.append(assignment)
            self.lifecycle.running(item, unit.pk, role, assignment, co_names, batch, index)
            if assignment.status == AssignmentStatus.OPINION_SENT:
                batch.opinions.append(
                    CoOpinion(
                        assignment=assignment,
                        text=OPINION_TEXT.format(unit=unit.short_name),
                        status=CoOpinionStatus.SENT,
                        drafted_by=people.staff,
                        approved_by=people.leader,
                        sent_at=assignment.ended_at,
                    )
                )
            elif assignment.status == AssignmentStatus.REPLIED:
                reply, text = self._reply(item, unit, role, assignment, co_names)
                batch.replies.append(reply)
                batch.reply_texts.append(text)
                batch.replies_of.setdefault(index, []).append(reply)
        # the timeline: 交办, each reply, and 已答复 when the last replying unit answered
        parts = []
        if roles[0] == AssignmentRole.LEAD:
            parts.append(Text(gettext_noop("主办：%(units)s"), units=units[0].short_name))
            if co_names:
                parts.append(Text(gettext_noop("会办：%(units)s"), units=co_names.split("、")))
        else:
            parts.append(
                Text(gettext_noop("分办：%(units)s"), units=[unit.short_name for unit in units])
            )
        batch.events.append(
            ProposalEvent(
                proposal=item,
                actor=actor,
                created_at=assigned_at,
                action=EventAction.ASSIGNED,
                from_status=ProposalStatus.REGISTERED,
                to_status=ProposalStatus.ASSIGNED,
                **note_fields(Text.join(parts, "semicolon")),
            )
        )
        for reply in batch.replies_of.get(index, []):
            batch.events.append(
                ProposalEvent(
                    proposal=item,
                    actor=reply.signed_by,
                    created_at=reply.sent_at or latest,
                    action=EventAction.REPLY_SENT,
                    **note_fields(reply_sent_note(reply)),
                )
            )
        item.status = ProposalStatus.ASSIGNED
        if all_replied:
            item.status = ProposalStatus.REPLIED
            batch.events.append(
                ProposalEvent(
                    proposal=item,
                    actor=actor,
                    created_at=max(sent_times),
                    action=EventAction.REPLY_SENT,
                    from_status=ProposalStatus.ASSIGNED,
                    to_status=ProposalStatus.REPLIED,
                    **note_fields(Text(gettext_noop("全部承办单位已答复"))),
                )
            )

    def _reply(
        self,
        item: Proposal,
        unit: Unit,
        role: str,
        assignment: Assignment,
        co_names: str,
        *,
        rng: random.Random | None = None,
        status: str = ReplyStatus.SENT,
    ) -> tuple[Reply, str]:
        """A sent reply, as reply_start … _send would leave it (the salutation comes later),
        and its text for the search terms. With another `status`, the reply still open at that
        step (as drafted today, without a document number)."""
        rng = rng or self.rng
        meeting = item.meeting
        people = self.people[unit.pk]
        sent = status == ReplyStatus.SENT
        sent_at = assignment.ended_at or self.now
        sent_on = timezone.localdate(sent_at)
        year = sent_on.year
        serial = 0
        if sent:
            serial = self.counters.get((unit.pk, year), 0) + 1
            self.counters[(unit.pk, year)] = serial
            self.changed_counters.add((unit.pk, year))
        codes = [str(entry.get("code")) for entry in meeting.result_classes if entry.get("code")]
        weights = [CLASS_WEIGHTS[i] if i < len(CLASS_WEIGHTS) else 10 for i in range(len(codes))]
        result_class = rng.choices(codes, weights)[0] if codes else ""
        public = rng.random() < PUBLIC_SHARE
        kind = "建议" if item.kind == "suggestion" else "提案"
        handled = (
            f"经我单位主办，{co_names}会办，" if role == AssignmentRole.LEAD and co_names else ""
        )
        paragraphs = [rng.choice(self.sentences) for _ in range(rng.randint(3, 6))]
        cc = [part for part in [meeting.reply_cc.strip("，。 ")] if part]
        if role == AssignmentRole.LEAD and co_names:
            cc.append(co_names)
        signed = sent_at - timedelta(days=rng.uniform(1, 5))
        opening = (
            f"您在{meeting.short_name}上提出的《{item.title}》（{item.number_label}）收悉。"
            f"{handled}现将办理情况答复如下："
        )
        signed_at = signed if status in (ReplyStatus.IN_REVIEW, ReplyStatus.SENT) else None
        reviewed = sent and meeting.supervisor_review_required
        reply = Reply(
            assignment=assignment,
            proposal=item,
            unit=unit,
            status=status,
            document_number=(unit_document_number(unit, year=year, serial=serial) if sent else ""),
            document_year=year if sent else None,
            document_serial=serial if sent else None,
            result_class=result_class,
            disclosure=Disclosure.PUBLIC if public else Disclosure.WITHHELD,
            withheld_reason="" if public else "涉及正在研究的内部事项，暂不公开。",
            title=f"{unit.name}关于{meeting.short_name}{item.number_label}{kind}的答复",
            salutation="",
            opening=opening,
            body_html="".join(f"<p>{html.escape(text, quote=False)}</p>" for text in paragraphs),
            thanks="衷心感谢您对我们工作的关心和支持！",
            signing_unit=unit.name,
            signed_on=sent_on if sent else None,
            signer_name=people.leader.full_name,
            contact_person=people.staff.full_name,
            contact_phone=unit.contact_phone,
            cc="，".join(cc) + ("。" if cc else ""),
            created_by=people.staff,
            updated_by=people.staff,
            submitted_at=(
                signed - timedelta(days=rng.uniform(0.5, 3))
                if status != ReplyStatus.DRAFT
                else None
            ),
            signed_by=people.leader if signed_at else None,
            signed_at=signed_at,
            reviewed_by=assignment.assigned_by if reviewed else None,
            reviewed_at=sent_at if reviewed else None,
            sent_at=sent_at if sent else None,
            # as meeting.publication_on() and publication_latest_on() give them
            publish_on=(
                self.working_days(
                    sent_on,
                    min(meeting.publication_working_days, meeting.disclosure_working_days),
                )
                if public and sent
                else None
            ),
            publish_by=(
                self.working_days(sent_on, meeting.disclosure_working_days)
                if public and sent
                else None
            ),
            evaluation_until=(
                self.working_days(sent_on, meeting.evaluation_working_days) if sent else None
            ),
        )
        return reply, "\n".join([opening, *paragraphs, reply.thanks, unit.name])

    def save(self, batch: Batch, items: list[Proposal], cosigners: list[CoSigner]) -> None:
        """Insert the batch's handling rows (after its items, events and co-signers)."""
        names: dict[int, list[str]] = {}
        for cosigner in cosigners:
            if cosigner.status == CoSignerStatus.CONFIRMED:
                names.setdefault(cosigner.proposal_id, []).append(cosigner.member.full_name)
        for index, replies in [*batch.replies_of.items(), *batch.progress.replies_of.items()]:
            item = items[index]
            profile = item.lead.member_profile
            people = [item.lead.full_name, *names.get(item.pk, [])]
            for reply in replies:
                reply.salutation = f"{'、'.join(people)}{profile.title}："
        Assignment.objects.bulk_create(batch.assignments, batch_size=INSERT_BATCH)
        if REPLY_SEARCH_TERMS:
            # the portal searches the public text (replies.public.public_search_text); the
            # generated sentences hold no member's number or address, so any mobile, ID-card
            # number or e-mail is all there is to hide
            texts = [
                (redact_text(reply.title), redact_text(text))
                for reply, text in zip(batch.replies, batch.reply_texts, strict=True)
            ]
            for reply, (title, text) in zip(batch.replies, texts, strict=True):
                reply.public_text = f"{title}\n{text}"
            _set_vectors(batch.replies, texts)
        Reply.objects.bulk_create(batch.replies, batch_size=INSERT_BATCH)
        CoOpinion.objects.bulk_create(batch.opinions, batch_size=INSERT_BATCH)
        self.lifecycle.save(batch.progress)
        if self.changed_counters:
            DocumentCounter.objects.bulk_create(
                [
                    DocumentCounter(
                        unit_id=unit_id, year=year, last_serial=self.counters[(unit_id, year)]
                    )
                    for unit_id, year in sorted(self.changed_counters)
                ],
                update_conflicts=True,
                unique_fields=["unit", "year"],
                update_fields=["last_serial"],
            )
            self.changed_counters.clear()


def generate_items(count: int, *, seed: int = 2026, stdout: Any = None) -> int:
    """Create `count` items spread over the existing meetings, with co-signers and events; the
    registered ones mostly handed to units, with their opinions and replies (module doc)."""
    rng = random.Random(seed)
    # drafts, work in progress and evaluations draw from their own generator (lifecycle.py)
    life = random.Random(f"{seed}-life")
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
    handling = Handling(rng, meetings, sentences, life)
    open_meetings = {meeting.pk for meeting in meetings if meeting.is_open_for_submission()}
    next_number: dict[tuple[int, str], int] = {}
    for meeting in meetings:
        last = Proposal.objects.filter(meeting=meeting, kind=meeting.item_kind).aggregate(
            m=Max("number")
        )["m"]
        next_number[(meeting.pk, meeting.item_kind)] = (last or 0) + 1
    statuses = (
        [ProposalStatus.REGISTERED] * 84
        + [ProposalStatus.SUBMITTED] * 8
        + [ProposalStatus.REJECTED] * 4
        + [ProposalStatus.CONVERTED] * 2
        + [ProposalStatus.WITHDRAWN] * 2
    )
    progress = tqdm(
        total=count, desc="生成建议提案", unit="件", file=stdout, disable=stdout is None
    )
    created = 0
    while created < count:
        size = min(BATCH, count - created)
        with transaction.atomic():
            items: list[Proposal] = []
            outcomes: list[str] = []  # the review's outcome (立案 …), before any 交办
            batch = Batch()
            for index in range(size):
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
                # of the items submitted lately to a meeting still open, some are still drafts,
                # their co-signers invited
                drafted = (
                    status == ProposalStatus.SUBMITTED
                    and meeting.pk in open_meetings
                    and timezone.now() - submitted < timedelta(days=DRAFT_DAYS)
                    and life.random() < DRAFT_SHARE
                )
                kind_word = "建议" if body == "npc" else "提案"
                title = f"关于{rng.choice(ACTIONS)}{rng.choice(TOPICS)}的{'建议' if rng.random() < 0.8 else kind_word}"
                text = "\n\n".join(
                    "".join(rng.sample(sentences, 3)) for _ in range(rng.randint(3, 6))
                )
                item_sections: list[SectionText] = []
                if is_sectioned(meeting):  # 政协: 案由 / 理由 / 办法 (proposals.sections)
                    rules = policy_of(meeting)
                    parts = text.split("\n\n")
                    cut = max(1, len(parts) // 2)
                    subject = title.removeprefix("关于").removesuffix("的建议")
                    pieces = [
                        subject.removesuffix("的提案"),
                        "\n\n".join(parts[:cut]),
                        "\n\n".join(parts[cut:]),
                    ]
                    item_sections = stored_sections(
                        rules,
                        {
                            rule["key"]: (pieces[n] if n < len(pieces) else "")[
                                : rule["max_length"]
                            ]
                            for n, rule in enumerate(rules)
                        },
                    )
                    text = joined_text(item_sections)
                item = Proposal(
                    meeting=meeting,
                    kind=meeting.item_kind,
                    title=title[:100],
                    sections=item_sections,
                    body=text[: meeting.body_max_chars],
                    category=rng.choice(categories[body]),
                    lead=lead,
                    status=status,
                    phase=meeting.phase_on(submitted),
                    submitted_at=submitted,
                )
                if drafted:
                    item.status, item.phase, item.submitted_at = ProposalStatus.DRAFT, "", None
                if status != ProposalStatus.SUBMITTED:
                    item.reviewed_at = submitted + timedelta(days=rng.randint(3, 30))
                if status == ProposalStatus.REGISTERED:
                    key = (meeting.pk, meeting.item_kind)
                    item.number = next_number[key]
                    next_number[key] += 1
                    item.number_prefix = lead.member_profile.number_prefix
                    item.number_label = meeting.format_number(item.number, item.number_prefix)
                    item.is_key = rng.random() < 0.05
                    handling.plan(item, reviewers[body], batch, index)
                elif status == ProposalStatus.REJECTED:
                    item.rejection_ground = rng.choice(RejectionGround.values)
                    item.review_note = "经审查，所提事项不符合立案条件，已转有关部门参考。"
                elif status == ProposalStatus.CONVERTED:
                    item.review_note = "转为代表来信，交有关部门研究处理。"
                elif status == ProposalStatus.WITHDRAWN:
                    item.withdrawal_reason = "所提问题已解决，申请撤案。"
                items.append(item)
                outcomes.append(status)
            events: list[ProposalEvent] = []
            cosigners: list[CoSigner] = []
            for item, outcome in zip(items, outcomes, strict=True):
                draft = item.status == ProposalStatus.DRAFT
                submitted_at = item.submitted_at or timezone.now() - timedelta(days=2)
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
                chosen: list[User] = []
                if rng.random() < 0.3:
                    chosen = rng.sample(members[item.meeting.body], rng.randint(1, 3))
                if draft and not chosen and life.random() < DRAFT_INVITE_SHARE:
                    chosen = life.sample(members[item.meeting.body], life.randint(1, 2))
                for member in chosen:
                    if member.pk == item.lead_id:
                        continue
                    confirmed = not draft or life.random() < 0.3  # a draft's: mostly invited
                    cosigners.append(
                        CoSigner(
                            proposal=item,
                            member=member,
                            status=CoSignerStatus.CONFIRMED
                            if confirmed
                            else CoSignerStatus.INVITED,
                            invited_at=created_at,
                            responded_at=created_at + timedelta(hours=3) if confirmed else None,
                        )
                    )
                if draft:
                    continue
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
                if outcome in final:
                    action, actor = final[outcome]
                    events.append(
                        ProposalEvent(
                            proposal=item,
                            actor=actor,
                            created_at=item.reviewed_at or submitted_at,
                            action=action,
                            from_status=ProposalStatus.SUBMITTED,
                            to_status=outcome,
                            note=item.number_label or item.review_note or item.withdrawal_reason,
                        )
                    )
            # evaluations, the items' end, follow-ups: before the items, whose status they set
            handling.lifecycle.settle(batch, items, cosigners)
            _set_vectors(items, [(item.title, item.body) for item in items])
            Proposal.objects.bulk_create(items, batch_size=INSERT_BATCH)
            CoSigner.objects.bulk_create(cosigners, ignore_conflicts=True)
            ProposalEvent.objects.bulk_create(events + batch.events, batch_size=INSERT_BATCH)
            handling.save(batch, items, cosigners)
        created += size
        progress.update(size)
    progress.close()
    return created
