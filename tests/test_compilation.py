"""The meeting's 汇编 (compilation/): its bookmarks and table of contents match its items and
pages, the public edition holds only what the portal discloses and no member's phone number or
address, and only the supervisors of the meeting's body make and download it."""

from __future__ import annotations

import io
import re
import subprocess
from types import SimpleNamespace

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import MemberProfile
from compilation import jobs
from compilation.book import write_book
from compilation.models import CompilationJob, Edition
from proposals import services
from proposals.models import ExportStatus
from replies.redact import HIDDEN

from .factories import CategoryFactory, MeetingFactory, MemberFactory
from .test_portal_search import draft_reply, office, send

PHONE = "13805710039"
ADDRESS = "浙江省杭州市萧山区城厢街道人民路88号"
COSIGNER_PHONE = "13957112233"
COSIGNER_ADDRESS = "浙江省杭州市上城区解放路1号"
WITHHELD_WORDS = "本答复涉及在办案件不予公开的段落"


def item_with_cosigner(*, lead, cosigner, meeting, category, handler, supervisor, title, body):
    """A registered item with a confirmed co-signer, assigned to `handler`'s unit and signed for."""
    item = services.proposal_create(
        author=lead, meeting=meeting, title=title, body=body, category=category
    )
    invitation = services.cosigner_invite(proposal=item, actor=lead, member=cosigner)
    services.cosigner_respond(cosigner=invitation, actor=cosigner, accept=True)
    item = services.proposal_submit(proposal=item, actor=lead)
    services.proposal_register(proposal=item, actor=supervisor)
    services.proposal_assign(proposal=item, actor=supervisor, lead_unit=handler.unit)
    services.assignment_accept(assignment=item.assignments.get(role="lead"), actor=handler.staff)
    item.refresh_from_db()
    return item


@pytest.fixture
def book_world(member, npc_supervisor, django_capture_on_commit_callbacks):
    """Five registered items of one meeting: three with a published reply (the first with the
    members' phone numbers and addresses typed into its title, text and reply), one whose only
    reply is 不予公开, one not answered yet."""
    profile = member.member_profile
    profile.phone, profile.address = PHONE, ADDRESS
    profile.save()
    cosigner = MemberFactory(username="zhangsan", full_name="张三")
    MemberProfile.objects.filter(user=cosigner).update(
        phone=COSIGNER_PHONE, address=COSIGNER_ADDRESS
    )
    meeting = MeetingFactory(disclosure_working_days=0)
    category = CategoryFactory(body="npc", name="民政")
    handler = office("mz", "杭州市民政局", "市民政局")
    texts = [
        (
            "关于加快推进社区嵌入式养老服务设施建设的建议",
            f"我的手机{PHONE}，住在{ADDRESS}，联名人电话{COSIGNER_PHONE}。建议加快设施建设。",
        ),
        ("关于完善城市公共自行车服务网络的建议", "建议增加站点。" * 30),
        ("关于加强农村饮用水安全保障的建议", "建议加强水源保护。" * 200),
        ("关于规范社区停车管理的建议", "建议规范停车。" * 20),
        ("关于提升老旧小区加装电梯效率的建议", "建议简化审批。" * 20),
    ]
    items = []
    with django_capture_on_commit_callbacks(execute=True):
        for title, body in texts:
            items.append(
                item_with_cosigner(
                    lead=member,
                    cosigner=cosigner,
                    meeting=meeting,
                    category=category,
                    handler=handler,
                    supervisor=npc_supervisor,
                    title=title,
                    body=body,
                )
            )
        replies = []
        for index, item in enumerate(items[:4]):
            fields = {"body_html": f"关于{item.title[2:-3]}，我局已研究落实。"}
            if index == 0:
                fields["body_html"] = f"我局已与何红代表（联系电话：{PHONE}）当面沟通。"
            if index == 3:
                fields = {
                    "disclosure": "withheld",
                    "withheld_reason": "涉及在办案件",
                    "body_html": WITHHELD_WORDS,
                }
            replies.append(send(draft_reply(item, handler, **fields), handler, npc_supervisor))
    return SimpleNamespace(
        meeting=meeting, items=items, replies=replies, member=member, cosigner=cosigner
    )


def rendered(meeting, edition, chunk_items=2):
    target = io.BytesIO()
    book = write_book(meeting, edition, target, chunk_items=chunk_items)
    return book, target.getvalue()


def page_texts(content: bytes, tmp_path) -> list[str]:
    """Each page's text (pdftotext), whitespace removed."""
    path = tmp_path / "book.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()
    return ["".join(page.split()) for page in text.split("\f")][: len(PdfReader(path).pages)]


def outline(reader: PdfReader) -> list[tuple[str, int, list[str]]]:
    """(title, page index, [nested titles]) of each top-level bookmark."""
    entries: list[tuple[str, int, list[str]]] = []
    for entry in reader.outline:
        if isinstance(entry, list):
            title, page, _children = entries[-1]
            entries[-1] = (title, page, [child.title for child in entry])
        else:
            entries.append((entry.title, reader.get_destination_page_number(entry), []))
    return entries


@pytest.mark.django_db
class TestTheBook:
    def test_bookmarks_follow_the_items_with_their_replies_nested(self, book_world):
        book, content = rendered(book_world.meeting, Edition.ALL)
        reader = PdfReader(io.BytesIO(content))
        marks = outline(reader)
        assert [title for title, _page, _children in marks] == [i.title for i in book_world.items]
        assert [len(children) for _t, _p, children in marks] == [1, 1, 1, 1, 0]
        assert all("杭州市民政局" in children[0] for _t, _p, children in marks[:4])
        assert len(reader.pages) == book.pages

    def test_each_contents_entry_gives_the_page_of_its_items_heading(self, book_world, tmp_path):
        book, content = rendered(book_world.meeting, Edition.ALL)
        pages = page_texts(content, tmp_path)
        contents = "".join(pages[1 : book.front_pages])
        assert contents.startswith("目录")
        marks = outline(PdfReader(io.BytesIO(content)))
        for item, (_title, index, _children) in zip(book_world.items, marks, strict=True):
            found = re.search(re.escape(item.number_label + item.title) + r"(\d+)", contents)
            assert found is not None, item.title
            printed = int(found.group(1))
            # the page the contents names is the page the heading (and its bookmark) is on,
            # and that page's foot prints the same number
            assert index == book.front_pages + printed - 1
            assert item.title in pages[index]
            assert f"—{printed}—" in pages[index]
        assert [entry.page for entry in book.items] == sorted(e.page for e in book.items)
        # chunks of two items: the numbering runs on across them
        assert len({entry.page for entry in book.items}) == len(book.items)

    def test_the_cover_names_the_meeting_the_edition_and_the_date(self, book_world, tmp_path):
        _book, content = rendered(book_world.meeting, Edition.PUBLIC)
        cover = page_texts(content, tmp_path)[0]
        assert "".join(book_world.meeting.name.split()) in cover
        assert "公开版" in cover and "年" in cover


@pytest.mark.django_db
class TestThePublicEdition:
    def test_only_what_the_portal_discloses(self, book_world, tmp_path):
        book, content = rendered(book_world.meeting, Edition.PUBLIC)
        text = "".join(page_texts(content, tmp_path))
        assert [entry.pk for entry in book.items] == [i.pk for i in book_world.items[:3]]
        assert WITHHELD_WORDS not in text
        assert book_world.items[3].title not in text  # its only reply is 不予公开
        assert book_world.items[4].title not in text  # not answered yet

    @pytest.mark.parametrize("edition", [Edition.PUBLIC, Edition.ALL])
    def test_no_member_phone_or_address_in_either_edition(self, book_world, tmp_path, edition):
        _book, content = rendered(book_world.meeting, edition)
        text = "".join(page_texts(content, tmp_path))
        assert "何红" in text and "张三" in text  # members are named
        for value in (PHONE, ADDRESS, COSIGNER_PHONE, COSIGNER_ADDRESS):
            assert value not in text
        assert HIDDEN in text
        if edition == Edition.ALL:
            assert WITHHELD_WORDS in text
            assert book_world.items[4].title in text


@pytest.mark.django_db
class TestWhoMayMakeIt:
    def test_the_supervisor_generates_from_the_dashboard_and_downloads(
        self, book_world, npc_supervisor, login, django_capture_on_commit_callbacks
    ):
        client = login(npc_supervisor)
        dashboard = client.get(reverse("proposals:dashboard")).content.decode()
        assert reverse("compilation:start") in dashboard
        assert book_world.meeting.short_name in dashboard
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("compilation:start"),
                {"meeting": book_world.meeting.pk, "edition": Edition.PUBLIC},
            )
        job = CompilationJob.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("compilation:status", args=[job.pk])
        assert job.status == ExportStatus.READY and job.total == 3 and job.pages > 3
        page = client.get(reverse("compilation:status", args=[job.pk])).content.decode()
        assert reverse("compilation:download", args=[job.pk]) in page
        download = client.get(reverse("compilation:download", args=[job.pk]))
        assert download["Content-Type"] == "application/pdf"
        assert b"".join(download.streaming_content).startswith(b"%PDF")

    def test_a_supervisor_of_the_other_body_cannot(
        self, book_world, npc_supervisor, cppcc_supervisor, login
    ):
        job = CompilationJob.objects.create(
            owner=npc_supervisor, meeting=book_world.meeting, edition=Edition.ALL
        )
        client = login(cppcc_supervisor)
        response = client.post(
            reverse("compilation:start"),
            {"meeting": book_world.meeting.pk, "edition": Edition.ALL},
        )
        assert response.status_code == 400
        assert "请选择您督办的会议。" in response.content.decode()
        assert CompilationJob.objects.count() == 1
        assert client.get(reverse("compilation:status", args=[job.pk])).status_code == 404
        assert client.get(reverse("compilation:download", args=[job.pk])).status_code == 404
        with pytest.raises(jobs.PermissionDenied):
            jobs.start_job(owner=cppcc_supervisor, meeting=book_world.meeting, edition="all")

    def test_members_and_units_cannot(self, book_world, login, unit_staff):
        for user in (book_world.member, unit_staff):
            client = login(user)
            response = client.post(
                reverse("compilation:start"),
                {"meeting": book_world.meeting.pk, "edition": Edition.ALL},
            )
            assert response.status_code == 403
            assert client.get(reverse("compilation:index")).status_code == 403
        assert not CompilationJob.objects.exists()
