"""Privacy that holds on the portal: a member's phone number and address stay hidden in every
spelling people use (dots, brackets, every kind of dash and space, full-width digits, +86, an
address without its province or with spaces between its characters) on the page, in the Atom
feed and in the public letter PDF; and no search over public content, on either database's code
path, finds a hidden detail, by the full number or digit by digit."""

from __future__ import annotations

import importlib
import io
import re
import unicodedata
from html import unescape

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from proposals import search
from replies.models import Letter, LetterStatus, Reply
from replies.portal import SEARCH_FIELDS
from replies.public import published
from replies.redact import HIDDEN, redact_text
from replies.services.drafting import index_reply
from replies.text import body_text

from .factories import CategoryFactory, MeetingFactory
from .test_portal_search import (
    body_of,
    count_line,
    draft_reply,
    handled_item,
    office,
    pdf_text,
    send,
)

PHONE = "13805710039"
ADDRESS = "浙江省杭州市萧山区城厢街道人民路88号"
UNIT_PHONE = "0575-89586327"  # another area code: 0571 is in the hidden number only

# each spelling behind a label of its own, so that a test can say which one leaked
PHONE_SPELLINGS = {
    "点号": "138.0571.0039",
    "括号": "(138)0571-0039",
    "短横": "138–0571–0039",  # en dash
    "长横": "138—0571—0039",  # em dash
    "减号": "138−0571−0039",  # minus sign
    "全角数字": "１３８０５７１００３９",
    "全角标点": "（１３８）０５７１－００３９",
    "国际区号": "+86 138 0571 0039",
    "双零区号": "0086-13805710039",
    "连写区号": "8613805710039",
    "零宽空格": "138\u200b0571\u200b0039",
    "不换行空格": "138\u00a00571\u00a00039",
    "全角空格": "138\u30000571\u30000039",
    "间隔号": "138·0571·0039",
    "汉字数字": "一三八〇五七一〇〇三九",
}
ADDRESS_SPELLINGS = {
    "无省地址": "杭州市萧山区城厢街道人民路88号",
    "无省市地址": "萧山区城厢街道人民路88号",
    "字间空格": "萧 山 区 城 厢 街 道 人 民 路 8 8 号",
    "全角空格地址": "人\u3000民\u3000路\u3000８８号",
    "路名门牌": "人民路88号",
}
OTHER_SPELLINGS = {
    "他人手机": "159.1234.5678",
    "身份证": "33010619800101123X",
    "旧身份证": "330106800101123",
    "电子邮箱": "hehong@example.org",
}
SPELLINGS = {**PHONE_SPELLINGS, **ADDRESS_SPELLINGS, **OTHER_SPELLINGS}


def folded(text: str) -> str:
    """What a reader recovers from a text: compatibility forms undone, only letters and digits."""
    return re.sub(r"[\W_]", "", unicodedata.normalize("NFKC", text))


def leaks(text: str) -> list[str]:
    """The labels whose value a reader can still read in `text`, in any spelling."""
    plain = folded(text)
    found = [label for label, value in SPELLINGS.items() if value in text]
    digits_seen = (PHONE, "15912345678", "33010619800101123X", "330106800101123")
    for digits in (*digits_seen, "人民路88号", "hehongexampleorg"):
        if digits in plain:
            found.append(digits)
    return found


@pytest.fixture
def spelled_reply(member, npc_supervisor, django_capture_on_commit_callbacks):
    """A published reply whose body writes the lead member's phone and address, another
    person's mobile, an ID-card number and an e-mail address in many spellings, one a
    paragraph; visible words 人民群众 and 居民路灯 hold the bigrams of 人民路."""
    profile = member.member_profile
    profile.phone, profile.address = PHONE, ADDRESS
    profile.save()
    handler = office(
        "mz", "杭州市民政局", "市民政局", contact_person="孙华锋", contact_phone=UNIT_PHONE
    )
    item = handled_item(
        lead=member,
        meeting=MeetingFactory(disclosure_working_days=0),
        category=CategoryFactory(body="npc", name="民政"),
        handler=handler,
        supervisor=npc_supervisor,
        title="关于加快推进社区嵌入式养老服务设施建设的建议",
        body="建议加快社区嵌入式养老服务设施建设。",
    )
    paragraphs = [f"<p>{label}：{value}。</p>" for label, value in SPELLINGS.items()]
    reply = draft_reply(
        item,
        handler,
        opening=f"您提出的《{item.title}》收悉。现答复如下：",
        body_html=(
            "<p>一、我局服务人民群众，已更换居民路灯并推进社区养老服务。</p>"
            + "".join(paragraphs)
            + f"<p>二、如有疑问请致电{UNIT_PHONE}。</p>"
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        reply = send(reply, handler, npc_supervisor)
    reply.refresh_from_db()
    return reply


# --- the function itself --------------------------------------------------------------------------


class TestRedactText:
    private = [PHONE, ADDRESS]

    @pytest.mark.parametrize("label", list(SPELLINGS))
    def test_every_spelling_is_hidden(self, label):
        assert redact_text(f"{label}：{SPELLINGS[label]}。", self.private) == f"{label}：{HIDDEN}。"

    @pytest.mark.parametrize(
        "spelling",
        [
            "人民路八十八号",  # the number in Chinese numerals
            "人民路八八号",
            "人民路88",  # without 号
            "杭州人民路88号",  # the city without 市: the road and number still go
            "浙江省杭州市萧山区城厢街道人民路８８号",
            "城厢街道 人民路 88 号",
            "蕭山區城廂街道人民路88號",  # typeset in traditional characters
        ],
    )
    def test_more_spellings_of_the_address(self, spelling):
        assert "人民路" not in redact_text(f"住址：{spelling}。", self.private)

    @pytest.mark.parametrize(
        "spelling", ["hehong(at)example.org", "hehong [at] example.org", "HeHong＠Example.ORG"]
    )
    def test_an_email_address_written_to_dodge_robots_is_hidden(self, spelling):
        assert redact_text(f"邮箱：{spelling}。", []) == f"邮箱：{HIDDEN}。"

    def test_a_named_place_with_a_number_is_hidden_on_its_own(self):
        private = ["杭州市萧山区城厢街道金色家园12幢"]
        assert redact_text("住在金色家园12幢。", private) == f"住在{HIDDEN}。"
        assert redact_text("住在金色家园。", private) == "住在金色家园。"

    def test_any_mobile_is_hidden_whoever_it_belongs_to(self):
        for spelling in ("159 1234 5678", "159-1234-5678", "159.1234.5678", "＋86 15912345678"):
            assert redact_text(f"手机{spelling}", []) == f"手机{HIDDEN}"

    def test_a_number_split_by_html_keeps_the_tags(self):
        html = "<p>电话：<strong>138</strong>&nbsp;0571&nbsp;0039，见面谈。</p>"
        assert (
            redact_text(html, self.private) == f"<p>电话：<strong>{HIDDEN}</strong>，见面谈。</p>"
        )

    def test_a_members_landline_is_hidden_with_or_without_its_area_code(self):
        private = ["0571-87654321"]
        for spelling in (
            "0571-87654321",
            "(0571) 8765 4321",
            "０５７１８７６５４３２１",
            "87654321",
        ):
            assert redact_text(f"电话{spelling}。", private) == f"电话{HIDDEN}。", spelling

    def test_ordinary_text_stays_as_written(self):
        text = (
            "联系电话：0571-89586327；浙政办发〔2023〕12号；2023年5月6日；总投资28000000元，"
            "共13个项目，惠及15.6万人，增长13.5%；第1、3、5、7、9、11条；GB/T 9704-2012；"
            "人民路888号与解放路88号；人民群众；居民路灯。"
        )
        assert redact_text(text, self.private) == text

    def test_a_table_of_figures_is_not_a_phone_number(self):
        table = "<table><tr><td>13</td><td>150</td><td>1200</td><td>38</td></tr></table>"
        assert redact_text(table, self.private) == table
        paragraphs = "<p>第13条</p><p>150 1200 38</p>"
        assert redact_text(paragraphs, self.private) == paragraphs

    def test_no_private_values_hides_only_what_is_always_hidden(self):
        assert redact_text("人民路88号", []) == "人民路88号"
        assert redact_text("电话13805710039", []) == f"电话{HIDDEN}"


# --- the page, the feed and the public letter ----------------------------------------------------


@pytest.mark.django_db
class TestEverySpellingHiddenOnEveryPublicSurface:
    def test_the_portal_page(self, spelled_reply):
        html = Client().get(reverse("portal:reply", args=[spelled_reply.pk])).content.decode()
        assert leaks(html) == []
        shown = [label for label in SPELLINGS if f"{label}：{HIDDEN}。" not in html]
        assert shown == []
        assert UNIT_PHONE in html  # the unit's own number is not a member's

    def test_the_feed(self, spelled_reply):
        feed = Client().get(reverse("portal:feed")).content.decode()
        assert f"/public/replies/{spelled_reply.pk}/" in feed
        assert leaks(feed) == []
        assert "点号：（已隐去）" in feed

    def test_the_public_letter_pdf_text(self, spelled_reply, tmp_path, login, member):
        letter = Letter.objects.get(reply=spelled_reply)
        assert letter.status == LetterStatus.READY and letter.public_file
        response = Client().get(reverse("portal:letter", args=[spelled_reply.pk]))
        assert response.status_code == 200
        text = pdf_text(body_of(response), tmp_path, "public.pdf")
        assert leaks(text) == []
        shown = [label for label in SPELLINGS if f"{label}：{HIDDEN}。" not in text]
        assert shown == []
        # the member's own letter keeps the text as written
        own = login(member).get(reverse("replies:letter", args=[spelled_reply.pk]))
        assert PHONE_SPELLINGS["点号"] in pdf_text(body_of(own), tmp_path, "own.pdf")

    def test_the_item_title_on_the_page_hides_a_mobile(
        self, member, npc_supervisor, django_capture_on_commit_callbacks
    ):
        handler = office("mz", "杭州市民政局", "市民政局")
        item = handled_item(
            lead=member,
            meeting=MeetingFactory(disclosure_working_days=0),
            category=CategoryFactory(body="npc", name="民政"),
            handler=handler,
            supervisor=npc_supervisor,
            title="关于老年助餐服务的建议（联系人138.0571.0039）",
            body="老年助餐服务覆盖不足。",
        )
        reply = draft_reply(item, handler, body_html="我局已在全市建成老年助餐点。")
        with django_capture_on_commit_callbacks(execute=True):
            reply = send(reply, handler, npc_supervisor)
        html = Client().get(reverse("portal:reply", args=[reply.pk])).content.decode()
        assert "138.0571.0039" not in html and PHONE not in folded(html)


# --- search ---------------------------------------------------------------------------------------

DIGIT_BY_DIGIT = [PHONE[:n] for n in range(3, 12)] + [PHONE[i : i + 4] for i in range(8)]
HIDDEN_QUERIES = [
    *DIGIT_BY_DIGIT,
    "138.0571.0039",
    "0571-0039",
    "１３８０５７１",
    ADDRESS,
    "萧山区城厢街道",
    "城厢街道人民路",
    "人民路88号",
    "人民路",
    "88号",
    "15912345678",
    "1234.5678",
    "330106",
    "hehong@example.org",
    "example",
]


@pytest.mark.django_db
class TestSearchSeesOnlyWhatThePageShows:
    @pytest.mark.parametrize("indexed", [True, False], ids=["postgresql", "sqlite"])
    def test_a_hidden_detail_or_a_fragment_of_it_finds_nothing(self, spelled_reply, indexed):
        found = {
            query: search.search(published(), query, SEARCH_FIELDS, indexed=indexed).count()
            for query in HIDDEN_QUERIES
        }
        assert {query: count for query, count in found.items() if count} == {}
        # while what the page shows is found, through the same path
        for query in ("养老服务", "居民路灯", "人民群众", "杭州市民政局", "89586327"):
            results = search.search(published(), query, SEARCH_FIELDS, indexed=indexed)
            assert list(results) == [spelled_reply], query

    def test_the_portal_search_page_finds_nothing_for_the_number(self, spelled_reply):
        client = Client()
        for query in (PHONE, PHONE[:7], "0571", "人民路", "人民路88号"):
            html = client.get(reverse("portal:index"), {"q": query}).content.decode()
            assert count_line(html) == "共 0 份", query
        html = client.get(reverse("portal:index"), {"q": "居民路灯"}).content.decode()
        assert count_line(html) == "共 1 份"
        assert leaks(html) == []

    def test_the_stored_search_text_is_the_redacted_text(self, spelled_reply):
        stored = Reply.objects.values_list("public_text", flat=True).get(pk=spelled_reply.pk)
        assert leaks(stored) == []
        assert "点号：（已隐去）" in stored and "居民路灯" in stored

    def test_the_migration_fills_the_stored_text_and_rebuilds_the_terms(self, spelled_reply):
        # given a reply indexed before this change: no stored text, terms from the raw text
        raw = body_text(spelled_reply.body_html)
        Reply.objects.filter(pk=spelled_reply.pk).update(public_text="")
        search.update_vectors(Reply, [(spelled_reply.pk, spelled_reply.title, raw)])
        assert search.search(published(), "0571", SEARCH_FIELDS).count() == 1
        # when the data migration runs
        migration = importlib.import_module("replies.migrations.0013_reply_public_text")
        migration.fill_public_text(apps, None)
        # then the stored text is filled and the terms hold no hidden digit
        stored = Reply.objects.values_list("public_text", flat=True).get(pk=spelled_reply.pk)
        assert "居民路灯" in stored and leaks(stored) == []
        assert search.search(published(), "0571", SEARCH_FIELDS).count() == 0
        assert search.search(published(), "居民路灯", SEARCH_FIELDS).count() == 1

    def test_indexing_again_gives_the_same_text(self, spelled_reply):
        before = Reply.objects.values_list("public_text", flat=True).get(pk=spelled_reply.pk)
        index_reply(Reply.objects.select_related("proposal", "unit").get(pk=spelled_reply.pk))
        after = Reply.objects.values_list("public_text", flat=True).get(pk=spelled_reply.pk)
        assert after == before


# --- when what is hidden changes -------------------------------------------------------------------


def form_data(html: str) -> dict[str, str]:
    """The values a browser would send with the page's form as it stands."""
    data: dict[str, str] = {}
    for tag in re.findall(r"<input\b[^>]*>", html):
        name = re.search(r'\sname="([^"]*)"', tag)
        kind = re.search(r'\stype="([^"]*)"', tag)
        value = re.search(r'\svalue="([^"]*)"', tag)
        if name is None or (kind and kind.group(1) in ("submit", "file")):
            continue
        if kind and kind.group(1) == "checkbox":
            if " checked" in tag:
                data[name.group(1)] = "on"
            continue
        data[name.group(1)] = unescape(value.group(1)) if value else ""
    for name, options in re.findall(r'<select name="([^"]*)"[^>]*>(.*?)</select>', html, re.S):
        selected = re.search(r'<option value="([^"]*)"[^>]*selected', options)
        data[name] = selected.group(1) if selected else ""
    for name, text in re.findall(r'<textarea name="([^"]*)"[^>]*>(.*?)</textarea>', html, re.S):
        data[name] = unescape(text.strip("\n"))
    return data


@pytest.mark.django_db
class TestWhenWhatIsHiddenChanges:
    def test_a_public_letter_rendered_before_is_rendered_again_not_served(
        self, spelled_reply, tmp_path
    ):
        # given a public copy rendered before this change: it shows the number with dots
        letter = Letter.objects.get(reply=spelled_reply)
        official = letter.file.read()
        letter.file.close()
        letter.public_file.save("old-public.pdf", ContentFile(official), save=False)
        Letter.objects.filter(pk=letter.pk).update(
            public_file=letter.public_file.name, public_digest=""
        )
        # when the public asks for the letter
        response = Client().get(reverse("portal:letter", args=[spelled_reply.pk]))
        # then it gets a copy rendered again from the texts as hidden now, never the old one
        assert response.status_code == 200
        text = pdf_text(body_of(response), tmp_path, "again.pdf")
        assert leaks(text) == [] and "点号：（已隐去）。" in text
        letter.refresh_from_db()
        assert letter.public_file.name != "old-public.pdf" and letter.public_digest
        assert letter.file.read() == official  # the official letter is untouched

    def test_a_stale_copy_that_cannot_be_rendered_now_is_not_served(self, spelled_reply, settings):
        # given a stale public copy, and a render already asked for a moment ago (the queue
        # has it; the reader must not get the stale copy meanwhile)
        letter = Letter.objects.get(reply=spelled_reply)
        Letter.objects.filter(pk=letter.pk).update(public_digest="stale")
        cache.set(f"portal:public-letter:{letter.pk}", True, 60)
        # when the public asks for it, then the letter is "still being generated"
        response = Client().get(reverse("portal:letter", args=[spelled_reply.pk]))
        assert response.status_code == 404
        assert "答复函还在生成" in response.content.decode()
        cache.delete(f"portal:public-letter:{letter.pk}")

    def test_a_members_new_address_is_hidden_from_the_search_and_the_letter(
        self, spelled_reply, member, administrator, login, tmp_path
    ):
        # given the reply mentions 解放路66号, which is not yet the member's address
        Reply.objects.filter(pk=spelled_reply.pk).update(
            body_html=spelled_reply.body_html + "<p>新址：解放路66号。</p>"
        )
        index_reply(Reply.objects.select_related("proposal", "unit").get(pk=spelled_reply.pk))
        found = search.search(published(), "解放路66号", SEARCH_FIELDS, indexed=True)
        assert found.count() == 1
        # when an administrator records it as the member's address
        client = login(administrator)
        url = reverse("admin:accounts_user_change", args=[member.pk])
        data = form_data(client.get(url).content.decode())
        assert data["member_profile-0-address"] == ADDRESS
        data["member_profile-0-address"] = "杭州市上城区解放路66号"
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        # then no search finds it, on either path, and the page and the letter hide it
        for indexed in (True, False):
            for query in ("解放路66号", "解放路", "66号"):
                found = search.search(published(), query, SEARCH_FIELDS, indexed=indexed)
                assert found.count() == 0, (query, indexed)
        anonymous = Client()
        page = anonymous.get(reverse("portal:reply", args=[spelled_reply.pk])).content.decode()
        assert "解放路66号" not in page and "新址：（已隐去）。" in page
        letter = anonymous.get(reverse("portal:letter", args=[spelled_reply.pk]))
        text = pdf_text(body_of(letter), tmp_path, "new-address.pdf")
        assert "解放路66号" not in text and "新址：（已隐去）。" in text

    def test_an_administrator_saving_other_fields_does_not_reindex(
        self, spelled_reply, member, administrator, login
    ):
        Reply.objects.filter(pk=spelled_reply.pk).update(public_text="（旧）")
        client = login(administrator)
        url = reverse("admin:accounts_user_change", args=[member.pk])
        data = form_data(client.get(url).content.decode())
        data["full_name"] = "何红（改名）"
        assert client.post(url, data).status_code == 302
        stored = Reply.objects.values_list("public_text", flat=True).get(pk=spelled_reply.pk)
        assert stored == "（旧）"


@pytest.mark.django_db
def test_the_generated_demo_replies_are_searchable_on_both_paths():
    call_command("seed_demo", items=200, stdout=io.StringIO())
    reply = published().filter(proposal__title__isnull=False).order_by("pk").last()
    assert reply is not None
    stored = Reply.objects.values_list("public_text", flat=True).get(pk=reply.pk)
    assert stored.startswith(reply.title) and reply.unit.name in stored
    for indexed in (True, False):
        found = search.search(published(), reply.title, SEARCH_FIELDS, indexed=indexed)
        assert reply in found, indexed
