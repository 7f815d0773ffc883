"""Build the demo: meetings, units, people of every role and items from the samples.

Idempotent: running it again changes nothing that exists. `--items N` adds N generated items
for benchmarks.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.language import Text
from accounts.models import MemberProfile, Unit, User
from proposals import services
from proposals.demo import data
from proposals.demo.generate import generate_items
from proposals.models import (
    Category,
    CoSigner,
    CoSignerStatus,
    EventAction,
    Meeting,
    Proposal,
    ProposalEvent,
    ProposalStatus,
)
from proposals.services.common import index_proposal, note_fields


def _aware(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


class Command(BaseCommand):
    help = "建立演示数据：会议、承办单位、各角色用户和样例建议提案。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--items", type=int, default=0, help="另外生成 N 件建议提案（用于性能测试）"
        )
        parser.add_argument("--seed", type=int, default=2026, help="随机数种子")
        parser.add_argument(
            "--no-replies",
            action="store_true",
            help="不生成样例答复（萧山39号停在“已立案”，用于演示交办）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            units = self._units()
            users = self._people(units)
            meetings = self._meetings()
            categories = self._categories()
            self._sample_items(users, meetings, categories)
            self._current_items(users, meetings, categories)
            self._handling(users, units)
            if not options["no_replies"]:
                self._replies(users, units)
        self.stdout.write(
            self.style.SUCCESS(f"演示数据已就绪。演示账号密码均为 {data.DEMO_PASSWORD}")
        )
        if options["items"]:
            created = generate_items(options["items"], seed=options["seed"], stdout=self.stdout)
            self.stdout.write(self.style.SUCCESS(f"已生成 {created} 件建议提案。"))

    def _units(self) -> dict[str, Unit]:
        units = {}
        for name, short, prefix, person, phone in data.UNITS:
            units[name], _ = Unit.objects.get_or_create(
                name=name,
                defaults={
                    "short_name": short,
                    "document_prefix": prefix,
                    "contact_person": person,
                    "contact_phone": phone,
                    # as the unit's real letters print them (replies.letter_parts)
                    **data.UNIT_LETTER_PARTS.get(name, {}),
                },
            )
        return units

    def _user(self, username: str, **fields: Any) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, **fields)
            user.set_password(data.DEMO_PASSWORD)
            user.save()
        elif not user.email and fields.get("email"):
            # a demo built before the users had addresses gets them (nothing else changes)
            User.objects.filter(pk=user.pk).update(email=fields["email"])
            user.email = fields["email"]
        return user

    def _people(self, units: dict[str, Unit]) -> dict[str, User]:
        users: dict[str, User] = {}
        for username, name, body, kind, delegation, prefix, sector, phone in data.MEMBERS:
            user = self._user(
                username,
                full_name=name,
                role="member",
                email=data.demo_email(username, member=True),
            )
            MemberProfile.objects.get_or_create(
                user=user,
                defaults={
                    "body": body,
                    "submitter_type": kind,
                    "delegation": delegation,
                    "number_prefix": prefix,
                    "sector": sector,
                    "phone": phone,
                },
            )
            users[username] = user
        for username, name, role, unit_name, scope in data.STAFF:
            users[username] = self._user(
                username,
                full_name=name,
                role=role,
                unit=units.get(unit_name),
                supervisor_scope=scope,
                email=data.demo_email(username, member=False),
            )
        # 三员分立: three administrators, none of them a superuser (accounts/separation.py)
        for username, name, role in (
            ("admin", "系统管理员", "administrator"),
            ("security", "安全管理员", "security_admin"),
            ("auditor", "审计管理员", "audit_admin"),
        ):
            users[username] = self._user(
                username,
                full_name=name,
                role=role,
                is_staff=True,
                is_superuser=False,
                email=data.demo_email(username, member=False),
            )
        # a demo built before the split had one superuser "admin": the flag goes
        User.objects.filter(username="admin", is_superuser=True).update(is_superuser=False)
        return users

    def _meetings(self) -> dict[str, Meeting]:
        now = timezone.now()
        opened = now - timedelta(days=300)
        specs: dict[str, dict[str, Any]] = {
            "npc-2023": dict(
                body="npc",
                term=14,
                sitting=3,
                year=2023,
                name="杭州市第十四届人民代表大会第三次会议",
                short_name="市十四届人大三次会议",
                session_starts_on=date(2023, 1, 10),
                session_ends_on=date(2023, 1, 14),
                submission_opens_at=_aware(date(2023, 1, 5)),
                submission_closes_at=_aware(date(2024, 1, 5)),
                number_format="{prefix}{number}号",
                reply_cc="市人大常委会代表工作委员会，市政府督查室",
            ),
            "npc-2020": dict(
                body="npc",
                term=15,
                sitting=4,
                year=2020,
                name="株洲市第十五届人民代表大会第四次会议",
                short_name="市十五届人大四次会议",
                session_starts_on=date(2020, 5, 9),
                session_ends_on=date(2020, 5, 12),
                submission_opens_at=_aware(date(2020, 5, 1)),
                submission_closes_at=_aware(date(2021, 1, 5)),
                number_format="第{number}号",
                reply_cc="市人大常委会人事代表工作委员会，市人民政府督查室",
            ),
            "cppcc-2023": dict(
                body="cppcc",
                term=7,
                sitting=3,
                year=2023,
                name="政协广元市朝天区第七届委员会第三次会议",
                short_name="区政协七届三次会议",
                session_starts_on=date(2023, 2, 20),
                session_ends_on=date(2023, 2, 23),
                submission_opens_at=_aware(date(2023, 2, 10)),
                submission_closes_at=_aware(date(2024, 1, 10)),
                number_format="第{number}号",
                reply_cc="区政协提案委员会，区政府督查室",
            ),
            "npc-current": dict(
                body="npc",
                term=14,
                sitting=6,
                year=opened.year,
                name="杭州市第十四届人民代表大会第六次会议",
                short_name="市十四届人大六次会议",
                session_starts_on=opened.date() + timedelta(days=5),
                session_ends_on=opened.date() + timedelta(days=9),
                submission_opens_at=opened,
                submission_closes_at=now + timedelta(days=65),
                number_format="{prefix}{number}号",
                reply_cc="市人大常委会代表工作委员会，市政府督查室",
            ),
            "cppcc-current": dict(
                body="cppcc",
                term=7,
                sitting=6,
                year=opened.year,
                name="政协广元市朝天区第七届委员会第六次会议",
                short_name="区政协七届六次会议",
                session_starts_on=opened.date() + timedelta(days=3),
                session_ends_on=opened.date() + timedelta(days=6),
                submission_opens_at=opened,
                submission_closes_at=now + timedelta(days=65),
                number_format="第{number}号",
                reply_cc="区政协提案委员会，区政府督查室",
            ),
        }
        meetings = {}
        for key, spec in specs.items():
            meetings[key], _ = Meeting.objects.get_or_create(
                body=spec["body"], term=spec["term"], sitting=spec["sitting"], defaults=spec
            )
        return meetings

    def _categories(self) -> dict[tuple[str, str, str], Category]:
        result = {}
        for body, tree in data.CATEGORIES.items():
            for position, (parent_name, children) in enumerate(tree.items()):
                parent, _ = Category.objects.get_or_create(
                    body=body, parent=None, name=parent_name, defaults={"position": position}
                )
                for child_position, child in enumerate(children):
                    result[(body, parent_name, child)], _ = Category.objects.get_or_create(
                        body=body, parent=parent, name=child, defaults={"position": child_position}
                    )
        return result

    def _historical(
        self,
        *,
        meeting: Meeting,
        lead: User,
        cosigners: list[User],
        title: str,
        body: str,
        category: Category,
        number: int,
        submitted: datetime,
        registered_by: User,
        **extra: Any,
    ) -> None:
        """A registered item of an earlier meeting, with the timeline it would have had."""
        if Proposal.objects.filter(meeting=meeting, title=title).exists():
            return
        prefix = lead.member_profile.number_prefix
        reviewed_at = submitted + timedelta(days=20)
        proposal = Proposal.objects.create(
            meeting=meeting,
            kind=meeting.item_kind,
            title=title,
            body=body,
            category=category,
            lead=lead,
            status=ProposalStatus.REGISTERED,
            phase=meeting.phase_on(submitted),
            number=number,
            number_prefix=prefix,
            number_label=meeting.format_number(number, prefix),
            submitted_at=submitted,
            reviewed_at=reviewed_at,
            **extra,
        )
        created = submitted - timedelta(days=2)
        events = [
            ProposalEvent(
                proposal=proposal,
                actor=lead,
                created_at=created,
                action=EventAction.CREATED,
                to_status=ProposalStatus.DRAFT,
            )
        ]
        for member in cosigners:
            CoSigner.objects.create(
                proposal=proposal,
                member=member,
                status=CoSignerStatus.CONFIRMED,
                invited_at=created,
                responded_at=created + timedelta(hours=5),
            )
            events.append(
                ProposalEvent(
                    proposal=proposal,
                    actor=lead,
                    created_at=created,
                    action=EventAction.COSIGNER_INVITED,
                    note=member.full_name,
                )
            )
            events.append(
                ProposalEvent(
                    proposal=proposal,
                    actor=member,
                    created_at=created + timedelta(hours=5),
                    action=EventAction.COSIGNER_CONFIRMED,
                    note=member.full_name,
                )
            )
        events.append(
            ProposalEvent(
                proposal=proposal,
                actor=lead,
                created_at=submitted,
                action=EventAction.SUBMITTED,
                from_status=ProposalStatus.DRAFT,
                to_status=ProposalStatus.SUBMITTED,
            )
        )
        events.append(
            ProposalEvent(
                proposal=proposal,
                actor=registered_by,
                created_at=reviewed_at,
                action=EventAction.REGISTERED,
                from_status=ProposalStatus.SUBMITTED,
                to_status=ProposalStatus.REGISTERED,
                **note_fields(Text(gettext_noop("编号：%(number)s"), number=proposal.number_label)),
            )
        )
        ProposalEvent.objects.bulk_create(events)
        index_proposal(proposal)

    def _sample_items(
        self, users: dict[str, User], meetings: dict[str, Meeting], categories: dict[Any, Category]
    ) -> None:
        self._historical(
            meeting=meetings["npc-2023"],
            lead=users["hehong"],
            cosigners=[],
            title="关于引导社会组织参与未成年人保护的建议",
            body=data.HANGZHOU_39_BODY,
            category=categories[("npc", "社会事业", "民政")],
            number=39,
            submitted=_aware(date(2023, 1, 12), 10),
            registered_by=users["npc_office"],
        )
        self._historical(
            meeting=meetings["npc-2020"],
            lead=users["tangyaming"],
            cosigners=[users["wulingyun"], users["zhangcihua"]],
            title="关于建立城乡帮困工作长效机制的建议",
            body=data.ZHUZHOU_1230_BODY,
            category=categories[("npc", "社会事业", "民政")],
            number=1230,
            submitted=_aware(date(2020, 5, 11), 15),
            registered_by=users["npc_office"],
        )
        self._historical(
            meeting=meetings["cppcc-2023"],
            lead=users["liuanze"],
            cosigners=[users["xulijuan"]],
            title="关于加强全区未成年人关爱保护工作的建议",
            body=data.chaotian_15_body(),
            category=categories[("cppcc", "社会事业", "民政")],
            number=15,
            submitted=_aware(date(2023, 2, 21), 11),
            registered_by=users["cppcc_office"],
            leading_official="杨金军",
            supervising_units="区政府办公室 区委目标绩效办",
        )

    def _current_items(
        self, users: dict[str, User], meetings: dict[str, Meeting], categories: dict[Any, Category]
    ) -> None:
        """Items of the open meetings, made through the services as a member would."""
        specs = [*data.CURRENT_ITEMS]
        specs.append(
            (
                "zhangbigang",
                "引入专业化社会组织，加强未成年人法律保护",
                ("社会事业", "民政"),
                data.WANYUAN_026_BODY,
                "submitted",
            )
        )
        for username, title, (parent, child), body, status in specs:
            lead = users[username]
            meeting = meetings[f"{lead.member_profile.body}-current"]
            if Proposal.objects.filter(meeting=meeting, title=title).exists():
                continue
            proposal = services.proposal_create(
                author=lead,
                meeting=meeting,
                title=title,
                body=body,
                category=categories[(lead.member_profile.body, parent, child)],
            )
            if status == "submitted":
                services.proposal_submit(proposal=proposal, actor=lead)
        # one draft with a pending invitation, so that the co-signing step shows
        draft_title = "关于完善城市慢行交通系统的建议"
        if not Proposal.objects.filter(title=draft_title).exists():
            draft = services.proposal_create(
                author=users["hehong"],
                meeting=meetings["npc-current"],
                title=draft_title,
                body="建议完善城市慢行交通网络，打通断头路，增设过街设施，提升骑行和步行环境。",
                category=categories[("npc", "城乡建设", "交通运输")],
            )
            services.cosigner_invite(
                proposal=draft, actor=users["hehong"], member=users["wangjianguo"]
            )

    def _handling(self, users: dict[str, User], units: dict[str, Unit]) -> None:
        """Two sample items already in handling; 何红's 萧山39号 stays registered, for 交办."""
        chaotian = Proposal.objects.filter(title="关于加强全区未成年人关爱保护工作的建议").first()
        if chaotian is not None and chaotian.status == ProposalStatus.REGISTERED:
            services.proposal_assign(
                proposal=chaotian,
                actor=users["cppcc_office"],
                lead_unit=units["广元市朝天区民政局"],
                co_units=[
                    units[name]
                    for name in (
                        "广元市朝天区教育和科学技术局",
                        "广元市朝天区司法局",
                        "广元市公安局朝天区分局",
                        "广元市朝天区妇女联合会",
                    )
                ],
            )
            lead = chaotian.assignments.get(unit=units["广元市朝天区民政局"])
            services.assignment_accept(assignment=lead, actor=users["ctmz_staff"])
            education = chaotian.assignments.get(unit=units["广元市朝天区教育和科学技术局"])
            services.assignment_accept(assignment=education, actor=users["ctjk_staff"])
            services.co_opinion_save(
                assignment=education,
                actor=users["ctjk_leader"],
                text=data.CHAOTIAN_EDUCATION_OPINION,
                submit=True,
            )
            services.contact_record_create(
                assignment=lead,
                actor=users["ctmz_staff"],
                method="face_to_face",
                contacted_on=timezone.localdate(),
                participants="刘安泽、徐丽娟委员，区民政局贺威",
                notes="当面听取委员对未成年人关爱保护工作的意见，介绍了办理思路。",
            )
        zhuzhou = Proposal.objects.filter(title="关于建立城乡帮困工作长效机制的建议").first()
        if zhuzhou is not None and zhuzhou.status == ProposalStatus.REGISTERED:
            services.proposal_assign(
                proposal=zhuzhou, actor=users["npc_office"], lead_unit=units["株洲市民政局"]
            )

    def _replies(self, users: dict[str, User], units: dict[str, Unit]) -> None:
        """The three sample letters become sent replies with rendered letters."""
        from replies import services as reply_services
        from replies.models import DocumentCounter, Reply
        from replies.text import fix_punctuation

        hangzhou = Proposal.objects.filter(title="关于引导社会组织参与未成年人保护的建议").first()
        if hangzhou is not None and hangzhou.status == ProposalStatus.REGISTERED:
            co = {"共青团杭州市委员会": "tsw", "杭州市财政局": "czj", "中共杭州市委宣传部": "xcb"}
            services.proposal_assign(
                proposal=hangzhou,
                actor=users["npc_office"],
                lead_unit=units["杭州市民政局"],
                co_units=[units[name] for name in co],
            )
            services.assignment_accept(
                assignment=hangzhou.assignments.get(unit=units["杭州市民政局"]),
                actor=users["mzj_staff"],
            )
            for name, login in co.items():
                assignment = hangzhou.assignments.get(unit=units[name])
                services.assignment_accept(assignment=assignment, actor=users[f"{login}_staff"])
                services.co_opinion_save(
                    assignment=assignment,
                    actor=users[f"{login}_leader"],
                    text=f"{units[name].short_name}同意主办单位的办理意见，将在职责范围内配合做好相关工作。",
                    submit=True,
                )
        zhuzhou_unit = units["株洲市民政局"]
        DocumentCounter.objects.get_or_create(
            unit=zhuzhou_unit, year=2020, defaults={"last_serial": 10}
        )
        people = {
            "杭州市民政局": ("mzj_staff", "mzj_leader", "npc_office"),
            "株洲市民政局": ("zzmz_staff", "zzmz_leader", "npc_office"),
            "广元市朝天区民政局": ("ctmz_staff", "ctmz_leader", "cppcc_office"),
        }
        for title, sample in data.sample_replies().items():
            proposal = Proposal.objects.filter(title=title).first()
            if proposal is None or Reply.objects.filter(proposal=proposal).exists():
                continue
            lead = proposal.assignments.filter(role="lead").active().select_related("unit").first()
            if lead is None:
                continue
            staff, leader, supervisor = (users[name] for name in people[lead.unit.name])
            if lead.status == "assigned":
                services.assignment_accept(assignment=lead, actor=staff)
            reply = reply_services.reply_start(assignment=lead, actor=staff)
            reply = reply_services.reply_save(
                reply=reply,
                actor=staff,
                version=reply.version,
                salutation=fix_punctuation(str(sample["salutation"])),
                opening=fix_punctuation(str(sample["opening"])),
                body_html="\n".join(fix_punctuation(line) for line in sample["body"]),
                thanks=fix_punctuation(str(sample["thanks"])),
                signed_on=sample["signed_on"],
                contact_person=str(sample["contact_person"]),
                contact_phone=str(sample["contact_phone"]),
                result_class=str(sample["result_class"]),
            )
            reply_services.reply_submit(reply=reply, actor=staff)
            reply = reply_services.reply_sign(reply=reply, actor=leader)
            if reply.status == "in_review":
                reply_services.reply_approve(reply=reply, actor=supervisor)
        # The samples were published on their portals long ago: show them on the demo portal now
        # rather than after the policy's delay (a demo-only shortcut).
        Reply.objects.filter(
            status="sent", disclosure="public", publish_on__gt=timezone.localdate()
        ).update(publish_on=timezone.localdate())
        # 刘安泽 rated the 朝天 reply as in the record (满意, 非常满意); 徐丽娟 has not yet
        chaotian = Reply.objects.filter(
            proposal__title="关于加强全区未成年人关爱保护工作的建议"
        ).first()
        if chaotian is not None and not chaotian.evaluations.exists():
            reply_services.evaluation_submit(
                reply=chaotian,
                actor=users["liuanze"],
                work_rating="satisfied",
                result_rating="satisfied",
                contacted=True,
                face_to_face=True,
                comment="非常满意",
            )
