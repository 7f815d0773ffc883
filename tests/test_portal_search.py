"""The public portal and search: nothing undisclosed leaks anywhere on the portal, members' phone
numbers and addresses never reach the public, two-character Chinese words are found (and longer
phrases only as phrases) over what each user may see, similar items are found for the review and
drafting pages, and the embedded run's fallbacks work."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from proposals import search, services, workdays
from proposals.models import Proposal
from replies import services as reply_services
from replies.models import Disclosure, Letter, LetterStatus, Reply, ReplyStatus
from replies.public import published

from .factories import CategoryFactory, MeetingFactory, UnitFactory, UserFactory
from .pdf_layout import plain_text

# --- helpers -------------------------------------------------------------------------------------


def office(key: str, name: str, short_name: str, **fields: str) -> SimpleNamespace:
    """A unit with one member of staff and one leader."""
    unit = UnitFactory(name=name, short_name=short_name, **fields)
    staff = UserFactory(username=f"{key}_staff", role="unit_staff", unit=unit)
    leader = UserFactory(username=f"{key}_leader", role="unit_leader", unit=unit)
    return SimpleNamespace(unit=unit, staff=staff, leader=leader)


def submitted_item(*, lead, meeting, title: str, body: str, category=None) -> Proposal:
    proposal = services.proposal_create(
        author=lead, meeting=meeting, title=title, body=body, category=category
    )
    return services.proposal_submit(proposal=proposal, actor=lead)


def handled_item(*, lead, meeting, category, handler, supervisor, title: str, body: str):
    """A registered item assigned to `handler`'s unit (lead), signed for by its staff."""
    proposal = submitted_item(lead=lead, meeting=meeting, title=title, body=body, category=category)
    services.proposal_register(proposal=proposal, actor=supervisor)
    services.proposal_assign(proposal=proposal, actor=supervisor, lead_unit=handler.unit)
    assignment = proposal.assignments.get(role="lead")
    services.assignment_accept(assignment=assignment, actor=handler.staff)
    proposal.refresh_from_db()
    return proposal


def draft_reply(proposal: Proposal, handler, **fields) -> Reply:
    reply = reply_services.reply_start(
        assignment=proposal.assignments.get(role="lead"), actor=handler.staff
    )
    fields.setdefault("result_class", "B")
    return reply_services.reply_save(
        reply=reply, actor=handler.staff, version=reply.version, **fields
    )


def send(reply: Reply, handler, supervisor) -> Reply:
    """送签, 签发 and, where the meeting asks for it, 督办审核: the reply is sent."""
    reply_services.reply_submit(reply=reply, actor=handler.staff)
    reply = reply_services.reply_sign(reply=reply, actor=handler.leader)
    if reply.status == ReplyStatus.IN_REVIEW:
        reply = reply_services.reply_approve(reply=reply, actor=supervisor)
    assert reply.status == ReplyStatus.SENT
    return reply


def options(html: str, name: str) -> list[str]:
    """The option values of the <select name=...> of a page."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None, f"no <select name={name}>"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def count_line(html: str) -> str:
    found = re.search(r"共 \d+ (份|件)|超过[^<]*", html)
    assert found is not None
    return found.group(0)


def pdf_text(content: bytes, tmp_path, name: str) -> str:
    """The PDF's text with all whitespace removed (a number wrapped at a line end stays whole)."""
    path = tmp_path / name
    path.write_bytes(content)
    return "".join(plain_text(path).split())


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def item_titles_in(html: str, *proposals: Proposal) -> list[str]:
    """Which of the items' titles the page shows, in the order it shows them."""
    found = [(html.find(p.title), p.title) for p in proposals if p.title in html]
    return [title for _, title in sorted(found)]


# --- 1. nothing undisclosed leaks ----------------------------------------------------------------

HIDDEN_CASES = ("withheld", "future", "draft", "in_review", "superseded")


@pytest.fixture
def portal_world(member, npc_supervisor, django_capture_on_commit_callbacks):
    """One published reply, and one reply per way of not being public, each in a meeting, unit and
    category of its own and with a word of its own in its title and body."""
    world = {}

    def case(key, sitting, *, unit, category, title, body, delay=0):
        meeting = MeetingFactory(
            term=15,
            sitting=sitting,
            name=f"测试市第十五届人民代表大会第{sitting}次会议",
            short_name=f"市十五届人大{'一二三四五六'[sitting - 1]}次会议",
            disclosure_working_days=delay,
        )
        handler = office(key, *unit)
        item = handled_item(
            lead=member,
            meeting=meeting,
            category=CategoryFactory(body="npc", name=category),
            handler=handler,
            supervisor=npc_supervisor,
            title=title,
            body=f"{body}。建议有关部门研究落实。",
        )
        world[key] = SimpleNamespace(
            meeting=meeting, handler=handler, item=item, category=item.category, word=None
        )
        return world[key]

    def sent(entry, word, **fields):
        entry.word = word
        reply = draft_reply(
            entry.item, entry.handler, body_html=f"关于{word}工作，我局已研究落实。", **fields
        )
        with django_capture_on_commit_callbacks(execute=True):
            entry.reply = send(reply, entry.handler, npc_supervisor)
        return entry

    published_case = case(
        "pub",
        1,
        unit=("杭州市民政局", "市民政局"),
        category="民政",
        title="关于推进老年助餐服务的建议",
        body="老年助餐服务覆盖不足",
    )
    sent(published_case, "助餐")

    withheld = case(
        "ga",
        2,
        unit=("杭州市公安局", "市公安局"),
        category="公安司法",
        title="关于加强校园周边治安巡逻的建议",
        body="校园周边巡逻力量不足",
    )
    sent(withheld, "巡逻", disclosure=Disclosure.WITHHELD, withheld_reason="涉及警力部署，不宜公开")

    future = case(
        "cz",
        3,
        unit=("杭州市财政局", "市财政局"),
        category="财政金融",
        title="关于加强专项债券资金监管的建议",
        body="专项债券资金使用效率不高",
        delay=20,
    )
    sent(future, "债券")

    draft = case(
        "wj",
        4,
        unit=("杭州市卫生健康委员会", "市卫健委"),
        category="卫生健康",
        title="关于增设儿科夜间门诊的建议",
        body="儿科夜间就诊难",
    )
    draft.word = "儿科"
    draft.reply = draft_reply(draft.item, draft.handler, body_html="关于儿科工作，我委正在研究。")

    in_review = case(
        "jy",
        5,
        unit=("杭州市教育局", "市教育局"),
        category="教育",
        title="关于推广课后托管服务的建议",
        body="课后托管服务供给不足",
    )
    in_review.word = "托管"
    reply = draft_reply(in_review.item, in_review.handler, body_html="关于托管工作，我局已研究。")
    reply_services.reply_submit(reply=reply, actor=in_review.handler.staff)
    in_review.reply = reply_services.reply_sign(reply=reply, actor=in_review.handler.leader)

    superseded = case(
        "yw",
        6,
        unit=("杭州市园林文物局", "市园文局"),
        category="生态环境",
        title="关于增设城市口袋公园的建议",
        body="城市口袋公园数量偏少",
    )
    sent(superseded, "绿道")  # published today, then corrected: the correction is 不予公开
    correction = reply_services.reply_correct(
        reply=superseded.reply, actor=superseded.handler.staff
    )
    correction = reply_services.reply_save(
        reply=correction,
        actor=superseded.handler.staff,
        version=correction.version,
        body_html="经核实，原答复所列数据有误，更正如下：计划新建小微公园八个。",
        disclosure=Disclosure.WITHHELD,
        withheld_reason="更正后涉及尚未批复的规划",
    )
    with django_capture_on_commit_callbacks(execute=True):
        superseded.correction = send(correction, superseded.handler, npc_supervisor)
    superseded.reply.refresh_from_db()

    for entry in world.values():
        entry.reply.refresh_from_db()
    return SimpleNamespace(published=published_case, **{k: world[k] for k in world if k != "pub"})


def hidden_entry(world, key):
    return {
        "withheld": world.ga,
        "future": world.cz,
        "draft": world.wj,
        "in_review": world.jy,
        "superseded": world.yw,
    }[key]


@pytest.mark.django_db
class TestNothingUndisclosedLeaks:
    def test_the_cases_are_what_they_say(self, portal_world):
        # given the fixture, each case is in the state the checks below rely on
        today = timezone.localdate()
        w = portal_world
        assert (w.published.reply.status, w.published.reply.publish_on) == (ReplyStatus.SENT, today)
        assert (w.ga.reply.status, w.ga.reply.disclosure, w.ga.reply.publish_on) == (
            ReplyStatus.SENT,
            Disclosure.WITHHELD,
            None,
        )
        # published the working day after sending, at the latest 20 working days after
        assert w.cz.reply.publish_on == workdays.add_working_days(today, 1)
        assert w.cz.reply.publish_by == workdays.add_working_days(today, 20)
        assert w.cz.reply.publish_on > today
        assert w.wj.reply.status == ReplyStatus.DRAFT
        assert w.jy.reply.status == ReplyStatus.IN_REVIEW
        assert w.yw.reply.status == ReplyStatus.SUPERSEDED
        assert w.yw.reply.publish_on == today  # it had been published before it was corrected
        assert (w.yw.correction.status, w.yw.correction.publish_on) == (ReplyStatus.SENT, None)
        ready = set(
            Letter.objects.filter(status=LetterStatus.READY).values_list("reply_id", flat=True)
        )
        assert ready == {
            w.published.reply.pk,
            w.ga.reply.pk,
            w.cz.reply.pk,
            w.yw.reply.pk,
            w.yw.correction.pk,
        }
        assert list(published()) == [w.published.reply]
        # on its day the 同意公开 reply is published after all: the date is the only gate
        assert w.cz.reply in published(today=w.cz.reply.publish_on)

    def test_the_published_reply_is_everywhere_without_login(self, portal_world):
        pub = portal_world.published
        client = Client()  # anonymous
        index = client.get(reverse("portal:index")).content.decode()
        assert pub.reply.title in index
        assert count_line(index) == "共 1 份"
        assert options(index, "meeting") == ["", str(pub.meeting.pk)]
        assert options(index, "unit") == ["", str(pub.handler.unit.pk)]
        assert options(index, "category") == ["", str(pub.category.pk)]

        filtered = client.get(
            reverse("portal:index"),
            {
                "year": pub.meeting.year,
                "body": "npc",
                "meeting": pub.meeting.pk,
                "unit": pub.handler.unit.pk,
                "category": pub.category.pk,
            },
        ).content.decode()
        assert pub.reply.title in filtered and count_line(filtered) == "共 1 份"

        found = client.get(reverse("portal:index"), {"q": "助餐"}).content.decode()
        assert pub.reply.title in found and count_line(found) == "共 1 份"
        assert "<mark>助餐</mark>" in found

        feed = client.get(reverse("portal:feed")).content.decode()
        assert pub.reply.title in feed
        assert f"/public/replies/{pub.reply.pk}/" in feed
        sitemap = client.get(reverse("portal:sitemap")).content.decode()
        assert f"http://testserver/public/replies/{pub.reply.pk}/</loc>" in sitemap
        assert sitemap.count("<loc>") == 1

        page = client.get(reverse("portal:reply", args=[pub.reply.pk]))
        assert page.status_code == 200
        assert pub.reply.title in page.content.decode()
        assert reverse("portal:letter", args=[pub.reply.pk]) in page.content.decode()
        letter = client.get(reverse("portal:letter", args=[pub.reply.pk]))
        assert (letter.status_code, letter["Content-Type"]) == (200, "application/pdf")
        assert body_of(letter).startswith(b"%PDF")

    @pytest.mark.parametrize("key", HIDDEN_CASES)
    def test_an_undisclosed_reply_is_nowhere(self, portal_world, key):
        hidden = hidden_entry(portal_world, key)
        pub = portal_world.published
        replies = [hidden.reply] + ([hidden.correction] if key == "superseded" else [])
        client = Client()  # anonymous

        # index, with and without filters: neither its title nor its meeting, unit or category
        for params in (
            {},
            {"year": hidden.meeting.year},
            {"body": "npc"},
            {"meeting": hidden.meeting.pk},
            {"unit": hidden.handler.unit.pk},
            {"category": hidden.category.pk},
            {"meeting": pub.meeting.pk, "unit": pub.handler.unit.pk, "category": pub.category.pk},
        ):
            html = client.get(reverse("portal:index"), params).content.decode()
            for reply in replies:
                assert reply.title not in html, params
                assert f"/public/replies/{reply.pk}/" not in html, params
            assert hidden.item.title not in html, params
            assert hidden.meeting.short_name not in html, params
            assert hidden.handler.unit.name not in html, params
            assert hidden.category.name not in html, params
            assert options(html, "meeting") == ["", str(pub.meeting.pk)], params
            assert options(html, "unit") == ["", str(pub.handler.unit.pk)], params
            assert options(html, "category") == ["", str(pub.category.pk)], params
            # a filter on what is not offered is dropped as an invalid choice: only the public one
            assert count_line(html) == "共 1 份", params

        # search: a word of its title (via the opening) and of its body finds nothing
        for query in (hidden.word, hidden.item.title, hidden.handler.unit.name):
            html = client.get(reverse("portal:index"), {"q": query}).content.decode()
            assert count_line(html) == "共 0 份", query
            assert "没有符合条件的公开答复。" in html, query

        # feed and sitemap
        feed = client.get(reverse("portal:feed")).content.decode()
        sitemap = client.get(reverse("portal:sitemap")).content.decode()
        for reply in replies:
            assert reply.title not in feed
            assert f"/public/replies/{reply.pk}/" not in feed
            assert f"/public/replies/{reply.pk}/" not in sitemap
        assert hidden.word not in feed

        # guessed URLs, even where the letter is rendered and on disk
        for reply in replies:
            assert client.get(reverse("portal:reply", args=[reply.pk])).status_code == 404
            assert client.get(reverse("portal:letter", args=[reply.pk])).status_code == 404

    def test_a_correction_replaces_the_published_text(
        self, member, npc_supervisor, django_capture_on_commit_callbacks
    ):
        # given a reply published today and corrected, the correction staying 同意公开
        meeting = MeetingFactory(disclosure_working_days=0)
        handler = office("mz", "杭州市民政局", "市民政局")
        item = handled_item(
            lead=member,
            meeting=meeting,
            category=CategoryFactory(body="npc", name="民政"),
            handler=handler,
            supervisor=npc_supervisor,
            title="关于增设城市口袋公园的建议",
            body="城市口袋公园数量偏少。",
        )
        original = draft_reply(item, handler, body_html="计划新建口袋公园及绿道十二处。")
        with django_capture_on_commit_callbacks(execute=True):
            original = send(original, handler, npc_supervisor)
        correction = reply_services.reply_correct(reply=original, actor=handler.staff)
        correction = reply_services.reply_save(
            reply=correction,
            actor=handler.staff,
            version=correction.version,
            body_html="计划新建小微公园八处。",
        )
        # when it is sent
        with django_capture_on_commit_callbacks(execute=True):
            correction = send(correction, handler, npc_supervisor)
        # then the portal has the correction only, published on the original's day
        assert correction.publish_on == original.publish_on == timezone.localdate()
        client = Client()
        assert client.get(reverse("portal:reply", args=[original.pk])).status_code == 404
        assert client.get(reverse("portal:letter", args=[original.pk])).status_code == 404
        assert client.get(reverse("portal:reply", args=[correction.pk])).status_code == 200
        letter = client.get(reverse("portal:letter", args=[correction.pk]))
        assert letter.status_code == 200 and body_of(letter).startswith(b"%PDF")
        assert count_line(client.get(reverse("portal:index")).content.decode()) == "共 1 份"
        for word, count in (("绿道", "共 0 份"), ("小微公园", "共 1 份")):
            html = client.get(reverse("portal:index"), {"q": word}).content.decode()
            assert count_line(html) == count, word
        feed = client.get(reverse("portal:feed")).content.decode()
        assert f"/public/replies/{original.pk}/" not in feed and "绿道" not in feed
        assert f"/public/replies/{correction.pk}/" in feed


# --- 2. members' phone numbers and addresses stay private ----------------------------------------

PHONE = "13805710039"
OTHER_MOBILE = "15912345678"
ADDRESS = "杭州市萧山区城厢街道人民路88号"
UNIT_PHONE = "89586327"


@pytest.fixture
def phone_reply(member, npc_supervisor, django_capture_on_commit_callbacks):
    """A published reply whose opening and body repeat the lead member's phone and address and
    another mobile number."""
    profile = member.member_profile
    profile.phone, profile.address = PHONE, ADDRESS
    profile.save()
    meeting = MeetingFactory(disclosure_working_days=0)
    handler = office(
        "mz", "杭州市民政局", "市民政局", contact_person="孙华锋", contact_phone=UNIT_PHONE
    )
    item = handled_item(
        lead=member,
        meeting=meeting,
        category=CategoryFactory(body="npc", name="民政"),
        handler=handler,
        supervisor=npc_supervisor,
        title="关于加快推进社区嵌入式养老服务设施建设的建议",
        body="建议加快社区嵌入式养老服务设施建设。",
    )
    reply = draft_reply(
        item,
        handler,
        opening=f"您提出的《{item.title}》收悉。我局已按您留的手机{PHONE}与您联系，现答复如下：",
        body_html=(
            f"一、社区养老服务情况。我局已与何红代表（联系电话：{PHONE}）当面沟通，"
            f"并约请社区工作人员（手机：{OTHER_MOBILE}）上门走访，走访地址为{ADDRESS}。\n"
            "二、下一步工作。继续推进社区嵌入式养老服务设施建设。"
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        reply = send(reply, handler, npc_supervisor)
    reply.refresh_from_db()
    return reply


PRIVATE = (PHONE, OTHER_MOBILE, ADDRESS)


@pytest.mark.django_db
class TestNoMemberPhoneOnThePortal:
    def test_the_portal_page_hides_them_and_keeps_the_units_contact_line(self, phone_reply):
        html = Client().get(reverse("portal:reply", args=[phone_reply.pk])).content.decode()
        for value in PRIVATE:
            assert value not in html
        assert html.count("（已隐去）") == 4  # opening: phone; body: phone, mobile, address
        assert "（联系人：孙华锋，联系电话：89586327）" in html

    def test_search_snippet_and_feed_hide_them(self, phone_reply):
        client = Client()
        html = client.get(reverse("portal:index"), {"q": "养老"}).content.decode()
        assert count_line(html) == "共 1 份"
        snippet = re.search(r"<p>([^<]*(?:<mark>[^<]*</mark>[^<]*)+)</p>", html)
        assert snippet is not None
        assert snippet.group(1).count("（已隐去）") == 3  # the numbers' place is in the snippet
        for value in PRIVATE:
            assert value not in html
        feed = client.get(reverse("portal:feed")).content.decode()
        assert f"/public/replies/{phone_reply.pk}/" in feed
        assert feed.count("（已隐去）") == 3
        for value in PRIVATE:
            assert value not in feed

    @pytest.mark.parametrize("query", [PHONE, OTHER_MOBILE, ADDRESS, PHONE[:7]])
    def test_searching_for_a_private_value_finds_nothing(self, phone_reply, query):
        html = Client().get(reverse("portal:index"), {"q": query}).content.decode()
        assert count_line(html) == "共 0 份"
        assert phone_reply.title not in html

    def test_the_public_letter_hides_them_the_members_own_letter_does_not(
        self, phone_reply, login, member, tmp_path
    ):
        letter = Letter.objects.get(reply=phone_reply)
        assert letter.status == LetterStatus.READY and letter.public_file
        response = Client().get(reverse("portal:letter", args=[phone_reply.pk]))
        assert response.status_code == 200
        public = pdf_text(body_of(response), tmp_path, "public.pdf")
        for value in PRIVATE:
            assert value not in public
        assert public.count("（已隐去）") == 4
        assert f"联系电话：{UNIT_PHONE}" in public
        # the member's own letter, as sent to them, has the text as written
        own = login(member).get(reverse("replies:letter", args=[phone_reply.pk]))
        assert own.status_code == 200
        internal = pdf_text(body_of(own), tmp_path, "own.pdf")
        for value in PRIVATE:
            assert value in internal
        assert "已隐去" not in internal

    def test_the_members_own_reply_page_shows_the_text_as_written(self, phone_reply, login, member):
        html = login(member).get(reverse("replies:detail", args=[phone_reply.pk])).content.decode()
        for value in PRIVATE:
            assert value in html
        assert "已隐去" not in html
        assert f"联系电话：{UNIT_PHONE}" in html

    def test_a_phone_typed_into_the_title_is_hidden_too(
        self, member, npc_supervisor, django_capture_on_commit_callbacks
    ):
        # title is one of PUBLIC_TEXT_FIELDS: the public copy hides a phone typed there
        profile = member.member_profile
        profile.phone = PHONE
        profile.save()
        meeting = MeetingFactory(disclosure_working_days=0)
        handler = office("mz", "杭州市民政局", "市民政局")
        item = handled_item(
            lead=member,
            meeting=meeting,
            category=CategoryFactory(body="npc", name="民政"),
            handler=handler,
            supervisor=npc_supervisor,
            title="关于推进老年助餐服务的建议",
            body="老年助餐服务覆盖不足。",
        )
        reply = draft_reply(
            item,
            handler,
            title=f"杭州市民政局关于何红代表（{PHONE}）所提建议的答复",
            body_html="我局已在全市建成老年助餐点。",
        )
        reply = send(reply, handler, npc_supervisor)
        client = Client()
        page = client.get(reverse("portal:reply", args=[reply.pk])).content.decode()
        h1 = re.search(r"<h1>(.*?)</h1>", page, re.S)
        assert h1 is not None and PHONE not in h1.group(1)
        surfaces = {
            "reply page": page,
            "index": client.get(reverse("portal:index")).content.decode(),
            "search": client.get(reverse("portal:index"), {"q": "助餐"}).content.decode(),
            "feed": client.get(reverse("portal:feed")).content.decode(),
        }
        leaking = sorted(name for name, html in surfaces.items() if PHONE in html)
        assert leaking == []

    def test_a_mobile_written_with_spaces_or_dashes_is_hidden_too(self, member, npc_supervisor):
        meeting = MeetingFactory(disclosure_working_days=0)
        handler = office("mz", "杭州市民政局", "市民政局")
        item = handled_item(
            lead=member,
            meeting=meeting,
            category=CategoryFactory(body="npc", name="民政"),
            handler=handler,
            supervisor=npc_supervisor,
            title="关于推进老年助餐服务的建议",
            body="老年助餐服务覆盖不足。",
        )
        reply = draft_reply(
            item,
            handler,
            body_html="已与何红代表（电话：138 0571 0039，或 159-1234-5678）电话沟通。",
        )
        reply = send(reply, handler, npc_supervisor)
        html = Client().get(reverse("portal:reply", args=[reply.pk])).content.decode()
        leaking = [value for value in ("138 0571 0039", "159-1234-5678") if value in html]
        assert leaking == []


# --- 3. two-character words, phrases, ranking, highlighting --------------------------------------

ELDERLY = "关于加快推进社区嵌入式养老服务设施建设的建议"
CHILDCARE = "关于扩大普惠托育服务供给的建议"


@pytest.fixture
def items(member, other_member, cppcc_member, npc_meeting, npc_category, cppcc_meeting):
    """The member's items, another member's, a CPPCC member's, and the member's own draft."""
    made = SimpleNamespace()
    made.elderly = submitted_item(
        lead=member,
        meeting=npc_meeting,
        category=npc_category,
        title=ELDERLY,
        body="我市社区养老服务设施布局不均衡，建议纳入城市更新规划。",
    )
    made.childcare = submitted_item(
        lead=member,
        meeting=npc_meeting,
        category=npc_category,
        title=CHILDCARE,
        body="目前我市普惠托育机构数量不足，建议加大建设补贴。",
    )
    made.minors = submitted_item(
        lead=member,
        meeting=npc_meeting,
        category=npc_category,
        title="关于加强基层未成年人保护力量的建议",
        body="建议在乡镇（街道）配齐未保工作专干，推进未保工作站建设。",
    )
    # 托育服务 and 服务设施, never 托育服务设施: every bigram of that phrase, not the phrase
    made.apart = submitted_item(
        lead=member,
        meeting=npc_meeting,
        category=npc_category,
        title="关于统筹社区托育服务与养老服务设施布局的建议",
        body="建议统筹规划。",
    )
    made.phrase = submitted_item(
        lead=member,
        meeting=npc_meeting,
        category=npc_category,
        title="关于新建一批托育服务设施的建议",
        body="建议在新建小区配建托育服务设施。",
    )
    made.others = submitted_item(
        lead=other_member,
        meeting=npc_meeting,
        category=npc_category,
        title="关于提高养老机构护理补贴的建议",
        body="建议提高养老护理补贴标准。",
    )
    made.cppcc = submitted_item(
        lead=cppcc_member,
        meeting=cppcc_meeting,
        title="关于发展农村互助养老的提案",
        body="建议发展农村互助养老。",
    )
    made.own_draft = services.proposal_create(
        author=member,
        meeting=npc_meeting,
        title="关于养老护理员职业培训的建议",
        body="建议加强养老护理员培训。",
        category=npc_category,
    )
    made.all = [
        made.elderly,
        made.childcare,
        made.minors,
        made.apart,
        made.phrase,
        made.others,
        made.cppcc,
        made.own_draft,
    ]
    return made


def listed(client: Client, query: str, everything: list[Proposal]) -> set[str]:
    html = client.get(reverse("proposals:list"), {"q": query}).content.decode()
    return {p.title for p in everything if p.title in html}


@pytest.mark.django_db
class TestSearchWhatEachMaySee:
    def test_the_member_finds_two_character_words_and_phrases_in_their_own_items(
        self, login, member, items
    ):
        client = login(member)
        t = items
        assert listed(client, "养老", t.all) == {
            t.elderly.title,
            t.apart.title,
            t.own_draft.title,
        }
        assert listed(client, "托育", t.all) == {t.childcare.title, t.apart.title, t.phrase.title}
        assert listed(client, "未保", t.all) == {t.minors.title}
        assert listed(client, "普惠托育服务", t.all) == {t.childcare.title}
        assert listed(client, "托育服务设施", t.all) == {t.phrase.title}

    def test_a_phrase_is_checked_as_a_phrase_not_only_as_its_bigrams(self, items):
        query = search.tsquery("托育服务设施")
        assert query == "'托育' & '育服' & '服务' & '务设' & '设施'"
        by_bigrams = set(
            Proposal.objects.extra(
                where=["proposals_proposal.search_vector @@ %s::tsquery"], params=[query]
            ).values_list("pk", flat=True)
        )
        assert items.apart.pk in by_bigrams  # the index alone would find it
        found = search.search(Proposal.objects.all(), "托育服务设施", ("title", "body"))
        assert list(found) == [items.phrase]

    def test_the_supervisor_finds_the_items_of_their_body(
        self, login, npc_supervisor, cppcc_supervisor, items
    ):
        t = items
        assert listed(login(npc_supervisor), "养老", t.all) == {
            t.elderly.title,
            t.apart.title,
            t.others.title,
        }
        assert listed(login(cppcc_supervisor), "养老", t.all) == {t.cppcc.title}
        assert listed(login(npc_supervisor), "未保", t.all) == {t.minors.title}

    def test_one_character_finds_it_anywhere_in_a_word(
        self, login, member, npc_meeting, npc_category, items
    ):
        # 管 only ends a run of characters here (加强监管。): no stored bigram begins with it
        supervision = submitted_item(
            lead=member,
            meeting=npc_meeting,
            category=npc_category,
            title="关于规范校外培训机构的建议",
            body="建议加强监管。",
        )
        client = login(member)
        everything = [*items.all, supervision]
        assert listed(client, "管", everything) == {supervision.title}
        assert listed(client, "托", everything) == {
            items.childcare.title,
            items.apart.title,
            items.phrase.title,
        }
        html = client.get(reverse("proposals:list"), {"q": "管"}).content.decode()
        assert "加强监<mark>管</mark>" in html
        assert count_line(html) == "共 1 件"

    def test_more_matches_than_are_ranked_say_so(self, login, npc_supervisor, items, monkeypatch):
        monkeypatch.setattr(search, "MAX_RANKED", 2)
        html = login(npc_supervisor).get(reverse("proposals:list"), {"q": "养老"}).content.decode()
        assert count_line(html) == "超过 2 件，只列出最新的 2 件；请加筛选条件或换更具体的关键词。"
        # the newest two of elderly, apart, others
        assert set(item_titles_in(html, items.elderly, items.apart, items.others)) == {
            items.apart.title,
            items.others.title,
        }
        monkeypatch.setattr(search, "MAX_RANKED", 3)
        html = login(npc_supervisor).get(reverse("proposals:list"), {"q": "养老"}).content.decode()
        assert count_line(html) == "共 3 件"

    def test_a_phrase_is_checked_batch_by_batch_newest_first(
        self, member, npc_meeting, npc_category, items, monkeypatch
    ):
        newer_apart = submitted_item(
            lead=member,
            meeting=npc_meeting,
            category=npc_category,
            title="关于托育服务和社区服务设施一体规划的建议",
            body="建议一体规划。",
        )
        monkeypatch.setattr(search, "CHECK_BATCH", 1)
        found = search.search(Proposal.objects.all(), "托育服务设施", ("title", "body"))
        assert list(found) == [items.phrase]
        assert not search.capped(found)
        # once the checking budget is spent, older candidates are left and the list says so;
        # with nothing found yet it goes on
        monkeypatch.setattr(search, "CHECK_LIMIT", 1)
        found = search.search(Proposal.objects.all(), "托育服务设施", ("title", "body"))
        assert newer_apart.pk > items.phrase.pk
        assert list(found) == [items.phrase]
        assert search.capped(found)

    def test_another_members_item_is_not_found(self, login, other_member, items):
        assert listed(login(other_member), "养老", items.all) == {items.others.title}
        assert listed(login(other_member), "托育", items.all) == set()

    def test_the_list_highlights_the_match(self, login, member, items):
        html = login(member).get(reverse("proposals:list"), {"q": "养老"}).content.decode()
        assert "我市社区<mark>养老</mark>服务设施布局不均衡" in html
        assert count_line(html) == "共 3 件"

    def test_results_are_ranked(self, login, member, npc_meeting, npc_category):
        # given the better match created first, so that newest-first would list it second
        more = submitted_item(
            lead=member,
            meeting=npc_meeting,
            category=npc_category,
            title="关于发展社区老年助餐服务的建议",
            body="建议扩大助餐点覆盖面，完善助餐补贴。",
        )
        once = submitted_item(
            lead=member,
            meeting=npc_meeting,
            category=npc_category,
            title="关于完善社区综合服务的建议",
            body="建议统筹社区食堂、助餐等服务。",
        )
        html = login(member).get(reverse("proposals:list"), {"q": "助餐"}).content.decode()
        order = item_titles_in(html, more, once)
        assert sorted(order) == sorted([more.title, once.title])
        assert order == [more.title, once.title]


@pytest.fixture
def portal_items(member, npc_supervisor, npc_meeting, npc_category):
    """Published replies to the 养老, 托育, 未保 and 'bigrams apart' items, and a 不予公开 one."""
    npc_meeting.disclosure_working_days = 0
    npc_meeting.save()
    handler = office("mz", "杭州市民政局", "市民政局")
    made = SimpleNamespace()
    for key, title, body, extra in (
        ("elderly", ELDERLY, "我局将社区嵌入式养老服务设施纳入城市更新规划。", {}),
        ("childcare", CHILDCARE, "我委将扩大普惠托育服务供给。", {}),
        ("minors", "关于加强基层未成年人保护力量的建议", "各乡镇（街道）已配齐未保工作专干。", {}),
        ("apart", "关于统筹社区托育服务与养老服务设施布局的建议", "我局将统筹规划。", {}),
        (
            "withheld",
            "关于养老机构消防隐患整治的建议",
            "养老机构消防隐患排查情况如下。",
            {"disclosure": Disclosure.WITHHELD, "withheld_reason": "涉及安全隐患点位"},
        ),
    ):
        item = handled_item(
            lead=member,
            meeting=npc_meeting,
            category=npc_category,
            handler=handler,
            supervisor=npc_supervisor,
            title=title,
            body="建议研究落实。",
        )
        reply = draft_reply(item, handler, body_html=body, **extra)
        setattr(made, key, send(reply, handler, npc_supervisor))
    made.all = [made.elderly, made.childcare, made.minors, made.apart, made.withheld]
    return made


def portal_found(query: str, replies: list[Reply]) -> set[int]:
    html = Client().get(reverse("portal:index"), {"q": query}).content.decode()
    return {r.pk for r in replies if f"/public/replies/{r.pk}/" in html}


@pytest.mark.django_db
class TestPortalSearch:
    def test_words_and_phrases_over_disclosed_replies_only(self, portal_items):
        r = portal_items
        assert portal_found("养老", r.all) == {r.elderly.pk, r.apart.pk}
        assert portal_found("托育", r.all) == {r.childcare.pk, r.apart.pk}
        assert portal_found("未保", r.all) == {r.minors.pk}
        assert portal_found("普惠托育服务", r.all) == {r.childcare.pk}
        assert portal_found("托育服务设施", r.all) == set()
        assert portal_found("消防隐患", r.all) == set()  # only in the 不予公开 reply

    def test_the_snippet_highlights_the_match(self, portal_items):
        html = Client().get(reverse("portal:index"), {"q": "未保"}).content.decode()
        assert "各乡镇（街道）已配齐<mark>未保</mark>工作专干。" in html


# --- 4. similar items in the demo, on the review page and while drafting -------------------------

HANGZHOU = "关于引导社会组织参与未成年人保护的建议"
CHAOTIAN = "关于加强全区未成年人关爱保护工作的建议"
WANYUAN = "引入专业化社会组织，加强未成年人法律保护"


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())
    return {user.username: user for user in User.objects.all()}


@pytest.mark.django_db
class TestSimilarItems:
    def test_the_two_minor_protection_samples_find_each_other(self, demo):
        hangzhou = Proposal.objects.get(title=HANGZHOU)
        chaotian = Proposal.objects.get(title=CHAOTIAN)
        like_hangzhou = search.similar_items(hangzhou, Proposal.objects.all())
        like_chaotian = search.similar_items(chaotian, Proposal.objects.all())
        assert chaotian in like_hangzhou and hangzhou in like_chaotian
        # and they are among the best two, with the third item on 未成年人保护
        assert {p.title for p in like_hangzhou[:2]} == {CHAOTIAN, WANYUAN}
        assert {p.title for p in like_chaotian[:2]} == {HANGZHOU, WANYUAN}
        assert hangzhou not in like_hangzhou

    def test_the_review_page_shows_a_likely_duplicate_of_the_same_meeting(self, demo, login):
        # given a second 未成年人保护 item in the current CPPCC meeting
        meeting = Proposal.objects.get(title=WANYUAN).meeting
        new = submitted_item(
            lead=demo["xulijuan"],
            meeting=meeting,
            title="关于发挥社会组织作用加强未成年人保护的提案",
            body="建议培育专业化未成年人保护社会组织，参与未成年人法律援助和心理疏导。",
        )
        # when the supervisor opens its review
        html = login(demo["cppcc_office"]).get(reverse("proposals:review", args=[new.pk]))
        html = html.content.decode()
        section = re.search(r"可能重复（可并案）</h2>(.*?)</section>", html, re.S)
        # then the earlier item of the same meeting is offered, not the 2023 one
        assert section is not None
        assert WANYUAN in section.group(1)
        wanyuan = Proposal.objects.get(title=WANYUAN)
        assert reverse("proposals:detail", args=[wanyuan.pk]) in section.group(1)
        assert CHAOTIAN not in section.group(1)
        assert new.title not in section.group(1)

    def test_an_unrelated_item_is_not_offered_as_a_duplicate(self, demo, login):
        elderly = Proposal.objects.get(title=ELDERLY)
        html = login(demo["npc_office"]).get(reverse("proposals:review", args=[elderly.pk]))
        html = html.content.decode()
        section = re.search(r"可能重复（可并案）</h2>(.*?)</section>", html, re.S)
        assert section is None or CHILDCARE not in section.group(1)

    def test_the_drafting_page_shows_similar_items_and_their_replies(self, demo, login):
        # given the current 未成年人保护 item registered and assigned to 朝天区民政局
        wanyuan = Proposal.objects.get(title=WANYUAN)
        services.proposal_register(proposal=wanyuan, actor=demo["cppcc_office"])
        unit = demo["ctmz_staff"].unit
        services.proposal_assign(proposal=wanyuan, actor=demo["cppcc_office"], lead_unit=unit)
        assignment = wanyuan.assignments.get(role="lead")
        services.assignment_accept(assignment=assignment, actor=demo["ctmz_staff"])
        reply = reply_services.reply_start(assignment=assignment, actor=demo["ctmz_staff"])
        # when its staff open the draft
        html = login(demo["ctmz_staff"]).get(reverse("replies:edit", args=[reply.pk]))
        html = html.content.decode()
        # then the earlier items are there with their replies: the published 杭州 one on the
        # portal, the unit's own 朝天 one internally
        section = re.search(r"相似的建议提案及答复</h2>(.*?)</section>", html, re.S)
        assert section is not None
        hangzhou_reply = Reply.objects.get(proposal__title=HANGZHOU)
        chaotian_reply = Reply.objects.get(proposal__title=CHAOTIAN)
        assert hangzhou_reply in published()
        assert HANGZHOU in section.group(1)
        assert reverse("portal:reply", args=[hangzhou_reply.pk]) in section.group(1)
        assert CHAOTIAN in section.group(1)
        assert reverse("replies:detail", args=[chaotian_reply.pk]) in section.group(1)
        assert WANYUAN not in section.group(1)


# --- 5. the embedded run's fallbacks -------------------------------------------------------------


@pytest.mark.django_db
class TestEmbeddedFallback:
    @pytest.fixture(autouse=True)
    def _no_index(self, monkeypatch):
        monkeypatch.setattr(search, "uses_index", lambda: False)

    def test_search_falls_back_to_substrings(self, items):
        def found(query: str) -> set[str]:
            queryset = search.search(Proposal.objects.all(), query, ("title", "body"))
            return {p.title for p in queryset}

        t = items
        assert found("养老") == {
            t.elderly.title,
            t.apart.title,
            t.others.title,
            t.cppcc.title,
            t.own_draft.title,
        }
        assert found("未保") == {t.minors.title}
        assert found("普惠托育服务") == {t.childcare.title}
        assert found("托育服务设施") == {t.phrase.title}
        assert Proposal.objects.filter(search_vector__isnull=False).count() == 0

    def test_the_list_and_the_portal_still_search(self, login, member, items, portal_items):
        assert listed(login(member), "未保", items.all) == {items.minors.title}
        r = portal_items
        assert portal_found("养老", r.all) == {r.elderly.pk, r.apart.pk}
        assert portal_found("普惠托育服务", r.all) == {r.childcare.pk}

    def test_similar_items_falls_back_to_term_overlap(self, items):
        t = items
        similar = search.similar_items(t.elderly, Proposal.objects.all())
        assert similar[0] == t.apart  # ten topic terms in common (社区, 养老, 服务设施, 布局…)
        assert t.elderly not in similar
        assert search.similar_items(t.minors, Proposal.objects.filter(pk=t.minors.pk)) == []


@pytest.mark.django_db
def test_items_are_not_alike_for_sharing_only_the_verbs_of_their_titles(
    member, npc_meeting, npc_category
):
    def item(title: str) -> Proposal:
        return submitted_item(
            lead=member, meeting=npc_meeting, category=npc_category, title=title, body="建议。"
        )

    lifts = item("关于加快推进老旧小区加装电梯的建议")
    same_topic = item("关于规范老旧小区加装电梯工作的建议")
    same_verbs = item("关于加快推进农产品品牌建设的建议")
    similar = search.similar_items(lifts, Proposal.objects.all())
    assert similar == [same_topic]
    assert same_verbs not in similar


class TestHighlight:
    def test_matches_are_marked_and_everything_else_escaped(self):
        snippet = search.highlight("建议<b>养老</b>服务和养老机构", "养老")
        assert str(snippet) == (
            "建议&lt;b&gt;<mark>养老</mark>&lt;/b&gt;服务和<mark>养老</mark>机构"
        )

    def test_a_query_never_lands_inside_an_entity(self):
        # "lt" is inside the &lt; that escaping makes of "<"
        snippet = str(search.highlight("a < b, salt", "lt"))
        assert snippet == "a &lt; b, sa<mark>lt</mark>"
