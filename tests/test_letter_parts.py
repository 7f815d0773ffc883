"""The parts real letters carry (issue 14, item 6): document numbers from a unit's template,
the class and disclosure marks and 签发人 as the meeting's policy prints them, the lines a unit
prints after the date, and tables pasted from Word / WPS kept as ruled tables inside the text
block. Letters are rendered and read back with poppler (tests/pdf_layout.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.document_numbers import (
    render_document_number,
    unit_document_number,
    validate_document_number_format,
)
from accounts.models import Unit
from proposals.models import Meeting, Proposal
from replies.letter_parts import letter_parts
from replies.letters import render_letter
from replies.models import Disclosure, DocumentCounter, Reply
from replies.tables import parse_table
from replies.text import body_for_editing, body_text, clean_body

from .pdf_layout import (
    BOTTOM,
    LEFT,
    RIGHT,
    TOP,
    Page,
    layout_text,
    normalise,
    read_layout,
)
from .test_replies import draft, handled, send  # noqa: F401  (draft and handled are fixtures)

CHECK_LETTER = Path(__file__).resolve().parents[2] / "shared" / "tools" / "check_letter.py"


# --- document numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "serial", "expected"),
    [
        ("株民复字〔{year}〕{n}号", 11, "株民复字〔2020〕11号"),
        ("厦市政园林〔{year}〕函字{n}号", 7, "厦市政园林〔2020〕函字7号"),
        ("杭民函〔{year}〕{n:03}号", 7, "杭民函〔2020〕007号"),
        ("杭民函〔{year}〕{n:03}号", 1234, "杭民函〔2020〕1234号"),
    ],
)
def test_a_template_writes_the_number(template: str, serial: int, expected: str) -> None:
    validate_document_number_format(template)
    assert render_document_number(template, year=2020, serial=serial) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("株民复字〔{year}〕号", "文号格式必须包含序号 {n}。"),
        ("株民复字〔{year}〕{number}号", "不认识的占位符：number"),
        ("{unit}〔{year}〕{n}号", "不认识的占位符：unit"),
        ("株民复字〔{year}〕{n号", "花括号不成对"),
        ("株民复字〔{year}〕{n:x}号", "序号只能按位数补零"),
        ("株民复字〔{year:02}〕{n}号", "年份 {year} 不能带格式"),
        ("很长的单位名称" * 8 + "〔{year}〕{n}号", "文号格式太长"),
    ],
)
def test_a_bad_template_is_refused_in_chinese(template: str, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_document_number_format(template)
    assert message in refused.value.messages[0]


def test_a_unit_without_a_template_keeps_the_old_shape() -> None:
    unit = Unit(name="杭州市民政局", short_name="市民政局", document_prefix="杭民函")
    assert unit_document_number(unit, year=2023, serial=26) == "杭民函〔2023〕26号"
    unit.document_prefix = ""
    assert unit_document_number(unit, year=2023, serial=26) == "市民政局〔2023〕26号"
    unit.document_number_format = "杭民函〔{year}〕{n:03}号"
    assert unit_document_number(unit, year=2023, serial=26) == "杭民函〔2023〕026号"


@pytest.mark.django_db
def test_sending_numbers_with_the_units_template_gap_free(
    handled,  # noqa: F811
    draft,  # noqa: F811
    unit,
    unit_staff,
    unit_leader,
    npc_supervisor,
) -> None:
    unit.document_number_format = "杭民复字〔{year}〕{n:03}号"
    unit.save()
    DocumentCounter.objects.create(unit=unit, year=date.today().year, last_serial=8)
    sent = send(draft, unit_staff, unit_leader, npc_supervisor)
    year = sent.signed_on.year
    assert (sent.document_year, sent.document_serial) == (year, 9)
    assert sent.document_number == f"杭民复字〔{year}〕009号"
    assert DocumentCounter.objects.get(unit=unit, year=year).last_serial == 9


# --- who may configure -----------------------------------------------------------------------------


@pytest.mark.django_db
class TestConfiguring:
    def unit_form(self, unit: Unit, **changes: str) -> dict[str, str]:
        data = {
            "name": unit.name,
            "short_name": unit.short_name,
            "document_prefix": unit.document_prefix,
            "document_number_format": "",
            "contact_person": "",
            "contact_phone": "",
            "letter_lead_person": "",
            "letter_contact_style": "contact",
            "letter_reviewer": "",
            "address": "",
            "is_active": "on",
        }
        return {**data, **changes}

    def test_the_administrator_sets_a_units_template_and_lines(self, client, administrator, unit):
        client.force_login(administrator)
        url = reverse("admin:accounts_unit_change", args=[unit.pk])
        response = client.post(
            url,
            self.unit_form(
                unit,
                document_number_format="厦市政园林〔{year}〕函字{n}号",
                letter_lead_person="易湘东",
                letter_contact_style="handler",
                letter_reviewer="王平",
            ),
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        unit.refresh_from_db()
        assert unit.document_number_format == "厦市政园林〔{year}〕函字{n}号"
        assert (unit.letter_lead_person, unit.letter_contact_style, unit.letter_reviewer) == (
            "易湘东",
            "handler",
            "王平",
        )

    def test_a_bad_template_is_refused_by_the_admin_form(self, client, administrator, unit):
        client.force_login(administrator)
        url = reverse("admin:accounts_unit_change", args=[unit.pk])
        response = client.post(url, self.unit_form(unit, document_number_format="杭民函{m}号"))
        assert response.status_code == 200
        page = response.content.decode()
        assert "不认识的占位符：m" in page
        unit.refresh_from_db()
        assert unit.document_number_format == ""

    @pytest.mark.parametrize("who", ["unit_staff", "unit_leader", "npc_supervisor", "member"])
    def test_others_may_not_configure(self, client, request, who, unit, npc_meeting):
        client.force_login(request.getfixturevalue(who))
        unit_url = reverse("admin:accounts_unit_change", args=[unit.pk])
        meeting_url = reverse("admin:proposals_meeting_change", args=[npc_meeting.pk])
        response = client.post(
            unit_url, self.unit_form(unit, document_number_format="假〔{year}〕{n}号")
        )
        assert response.status_code == 302 and "/login/" in response["Location"]
        response = client.post(meeting_url, {"letter_signer_placement": "marks"})
        assert response.status_code == 302 and "/login/" in response["Location"]
        unit.refresh_from_db()
        npc_meeting.refresh_from_db()
        assert unit.document_number_format == ""
        assert npc_meeting.letter_signer_placement == "signature"

    def test_the_system_administrator_sets_the_meetings_letter_policy_and_a_supervisor_cannot(
        self, client, npc_supervisor, npc_meeting, administrator
    ):
        url = reverse("admin:proposals_meeting_change", args=[npc_meeting.pk])
        npc_supervisor.is_staff = True
        npc_supervisor.save()
        client.force_login(npc_supervisor)
        assert client.get(url).status_code == 403  # staff, but meetings are not a supervisor's
        # 三员分立: a permission row gives nothing in the admin; the role decides
        npc_supervisor.user_permissions.add(Permission.objects.get(codename="change_meeting"))
        assert client.get(url).status_code == 403
        # the admin's own form, as loaded, with the letter policy changed
        client.force_login(administrator)
        form = client.get(url).context["adminform"].form
        data = {
            name: value
            for name, value in ((name, form[name].value()) for name in form.fields)
            if value is not None and value is not False
        }
        for name in ("reminder_offsets", "result_classes"):
            data[name] = json.dumps(data[name]) if not isinstance(data[name], str) else data[name]
        for name in ("submission_opens_at", "submission_closes_at"):
            moment = timezone.localtime(getattr(npc_meeting, name))
            data[f"{name}_0"], data[f"{name}_1"] = f"{moment:%Y-%m-%d}", f"{moment:%H:%M:%S}"
            data.pop(name, None)
        data.update(
            letter_class_mark_brackets="lenticular",
            letter_public_wording="主动公开",
            letter_signer_placement="marks",
        )
        client.force_login(npc_supervisor)
        assert client.post(url, data).status_code == 403
        npc_meeting.refresh_from_db()
        assert npc_meeting.letter_signer_placement == "signature"
        client.force_login(administrator)
        response = client.post(url, data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        npc_meeting.refresh_from_db()
        assert (
            npc_meeting.letter_class_mark_brackets,
            npc_meeting.letter_public_wording,
            npc_meeting.letter_signer_placement,
        ) == ("lenticular", "主动公开", "marks")

    def test_the_meeting_form_shows_the_letter_policy_in_chinese(
        self, client, administrator, npc_meeting
    ):
        client.force_login(administrator)
        page = client.get(
            reverse("admin:proposals_meeting_change", args=[npc_meeting.pk])
        ).content.decode()
        for label in ("答复函印答复类别", "答复类别的印法", "公开的答复印作", "签发人的印法"):
            assert label in page
        assert "方头括号，如【A】" in page and "依申请公开" in page


# --- the marks and the notes in the PDF ----------------------------------------------------------


def letter_reply(meeting: Meeting | None = None, unit: Unit | None = None, **fields) -> Reply:
    """A reply in memory (nothing saved), in the given meeting and unit."""
    unit = unit or Unit(name="株洲市民政局", short_name="株洲市民政局", document_prefix="株民复字")
    values = dict(
        title="株洲市民政局关于市十五届人大四次会议第1230号建议的答复",
        salutation="唐亚明代表：",
        opening="您提出的《关于建立城乡帮困工作长效机制的建议》收悉，现答复如下：",
        body_html=clean_body("我局高度重视，认真研究办理。"),
        thanks="此复。",
        signing_unit="株洲市民政局",
        signed_on=date(2020, 7, 13),
        document_number="株民复字〔2020〕11号",
        contact_person="周仁辉",
        contact_phone="28685502",
        result_class="B",
        disclosure=Disclosure.PUBLIC,
        signer_name="易湘东",
        unit=unit,
    )
    values.update(fields)
    reply = Reply(**values)
    if meeting is not None:
        reply.proposal = Proposal(meeting=meeting)
    return reply


def rendered_pages(reply: Reply, tmp_path: Path) -> tuple[Path, list[Page]]:
    path = tmp_path / "letter.pdf"
    path.write_bytes(render_letter(reply).content)
    return path, read_layout(path)


def first_page_lines(pages: list[Page]) -> list[str]:
    return [line.text.replace(" ", "") for line in pages[0].text_lines]


def meeting(**policy: object) -> Meeting:
    return Meeting(
        body="npc",
        short_name="市十五届人大四次会议",
        result_classes=[{"code": "A"}, {"code": "B"}, {"code": "C"}],
        **policy,
    )


@pytest.mark.parametrize(
    ("policy", "code", "disclosure", "marks"),
    [
        ({}, "A", Disclosure.PUBLIC, ("A", "同意公开")),
        ({"letter_class_mark_brackets": "round"}, "C", Disclosure.PUBLIC, ("（C）", "同意公开")),
        ({"letter_class_mark_labels": "stems"}, "A", Disclosure.WITHHELD, ("甲", "不予公开")),
        (
            {"letter_class_mark_labels": "stems", "letter_class_mark_brackets": "lenticular"},
            "C",
            Disclosure.PUBLIC,
            ("【丙】", "同意公开"),
        ),
        ({"letter_public_wording": "依申请公开"}, "B", Disclosure.PUBLIC, ("B", "依申请公开")),
        ({"letter_class_mark_shown": False}, "B", Disclosure.PUBLIC, ("", "同意公开")),
        ({"letter_disclosure_mark_shown": False}, "B", Disclosure.WITHHELD, ("B", "")),
        ({}, "", Disclosure.PUBLIC, ("", "同意公开")),  # a draft without a class yet
    ],
)
def test_the_marks_as_each_policy_words_them(policy, code, disclosure, marks):
    reply = letter_reply(meeting(**policy), result_class=code, disclosure=disclosure)
    parts = letter_parts(reply)
    assert (parts["class_mark"], parts["disclosure_mark"]) == marks


def test_the_default_policy_prints_the_class_and_同意公开_and_the_signer_after_the_date(
    tmp_path,
):
    _path, pages = rendered_pages(letter_reply(meeting()), tmp_path)
    lines = first_page_lines(pages)
    marks = lines[1:3]  # under the letterhead
    assert marks[0].startswith("B") and marks[0].endswith("株民复字〔2020〕11号"), lines
    assert marks[1] == "同意公开", lines
    texts = [line.text.replace(" ", "") for page in pages for line in page.text_lines]
    assert texts[texts.index("2020年7月13日") + 1] == "签发人：易湘东"


def test_no_signer_when_the_policy_prints_none(tmp_path):
    _path, pages = rendered_pages(letter_reply(meeting(letter_signer_placement="none")), tmp_path)
    assert "签发人" not in layout_text(pages) and "易湘东" not in layout_text(pages)


def test_brackets_stems_and_wording_as_configured(tmp_path):
    policy = meeting(
        letter_class_mark_labels="stems",
        letter_class_mark_brackets="lenticular",
        letter_withheld_wording="依申请公开",
    )
    reply = letter_reply(policy, disclosure=Disclosure.WITHHELD, withheld_reason="内部")
    _path, pages = rendered_pages(reply, tmp_path)
    lines = first_page_lines(pages)
    assert lines[1].startswith("【乙】"), lines
    assert lines[2] == "依申请公开", lines
    assert "不予公开" not in layout_text(pages)


def test_marks_not_printed_when_the_policy_says_so(tmp_path):
    policy = meeting(letter_class_mark_shown=False, letter_disclosure_mark_shown=False)
    _path, pages = rendered_pages(letter_reply(policy), tmp_path)
    lines = first_page_lines(pages)
    assert lines[1] == "株民复字〔2020〕11号", lines
    text = normalise(layout_text(pages))
    assert "同意公开" not in text and not lines[1].startswith("B")


def test_主动公开_wording(tmp_path):
    _path, pages = rendered_pages(letter_reply(meeting(letter_public_wording="主动公开")), tmp_path)
    assert first_page_lines(pages)[2] == "主动公开"


def test_the_signer_in_the_marks_top_right(tmp_path):
    _path, pages = rendered_pages(letter_reply(meeting(letter_signer_placement="marks")), tmp_path)
    lines = pages[0].text_lines
    texts = [line.text.replace(" ", "") for line in lines]
    # the marks' second row: 同意公开 at the left, 签发人 at the right, above the title
    row = next(i for i, text in enumerate(texts) if "签发人" in text)
    assert texts[row] == "同意公开签发人：易湘东", texts
    assert texts[row - 1].endswith("株民复字〔2020〕11号")
    assert abs(lines[row].x_max - RIGHT) <= 1.5, "签发人 stands right-aligned in the marks"
    assert texts[row + 1].startswith("株洲市民政局关于"), "the title follows the marks"
    assert texts.count("签发人：易湘东") == 0 and "".join(texts).count("签发人") == 1


def test_the_signer_after_the_signature(tmp_path):
    _path, pages = rendered_pages(
        letter_reply(meeting(letter_signer_placement="signature")), tmp_path
    )
    lines = [line.text.replace(" ", "") for page in pages for line in page.text_lines]
    date_at = lines.index("2020年7月13日")
    assert lines[date_at + 1] == "签发人：易湘东", lines[date_at - 1 :]


@pytest.mark.parametrize("name", ["负责人", "承办单位负责人", "市民政局负责人", "局领导", ""])
@pytest.mark.parametrize("placement", ["marks", "signature"])
def test_a_role_is_never_printed_as_the_signer(tmp_path, name, placement):
    reply = letter_reply(meeting(letter_signer_placement=placement), signer_name=name)
    _path, pages = rendered_pages(reply, tmp_path)
    text = layout_text(pages)
    assert "签发人" not in text and ("负责人" not in text or not name)


def test_the_units_lines_after_the_date(tmp_path):
    unit = Unit(
        name="株洲市民政局",
        short_name="株洲市民政局",
        letter_lead_person="易湘东",
        letter_contact_style="handler",
        letter_reviewer="王平",
    )
    reply = letter_reply(meeting(letter_signer_placement="none"), unit=unit)
    _path, pages = rendered_pages(reply, tmp_path)
    lines = [line for page in pages for line in page.text_lines]
    texts = [line.text.replace(" ", "") for line in lines]
    date_at = texts.index("2020年7月13日")
    assert texts[date_at + 1 : date_at + 5] == [
        "承办负责人：易湘东",
        "审核人：王平",
        "承办人：周仁辉",
        "联系电话：28685502",
    ]
    assert "联系人" not in "".join(texts)
    # indented two characters like the contact line, inside the block
    for line in lines[date_at + 1 : date_at + 5]:
        assert line.x_min > LEFT + 20 and line.x_max <= RIGHT + 1.5


def test_without_the_units_lines_only_the_contact_line(tmp_path):
    reply = letter_reply(meeting(letter_signer_placement="none"))
    _path, pages = rendered_pages(reply, tmp_path)
    texts = [line.text.replace(" ", "") for page in pages for line in page.text_lines]
    date_at = texts.index("2020年7月13日")
    assert texts[date_at + 1] == "（联系人：周仁辉，联系电话：28685502）"
    assert not any(text.startswith(("承办负责人", "审核人", "承办人")) for text in texts)


# --- tables ----------------------------------------------------------------------------------------

WORD_TABLE = """<p class=MsoNormal>一、资金安排情况</p>
<p class=MsoNormal style="text-indent:2em">今年我局安排帮扶资金如下表：</p>
<table class=MsoTableGrid border=1 cellspacing=0 style="width:680pt;border-collapse:collapse;mso-yfti-tbllook:1184">
<colgroup><col width=60><col width=400><col width=220></colgroup>
<thead><tr style="mso-yfti-irow:0"><td width=60 style="width:45pt;border:solid windowtext 1.0pt"><p><b>序号</b></p></td>
<td width=400 style="width:300pt"><p><span style="font-family:仿宋_GB2312">项目名称</span></p></td>
<td width=220><p>资金（万元）</p></td></tr></thead>
<tr><td>1</td><td>城乡低保提标，月人均补助水平由每人每月四百二十元提高到四百六十元，惠及全市困难群众五万余人</td><td>1,200</td></tr>
<tr><td>2</td><td rowspan=2>特困人员救助供养和临时救助资金（含“救急难”试点）</td><td>300</td></tr>
<tr><td>3</td><td>120</td></tr>
<tr><td colspan=2>合计</td><td>1620</td></tr>
</table>
<p>二、下一步工作</p><p>我们将继续加大投入。</p>"""


def test_a_pasted_table_is_cleaned_and_kept():
    body = clean_body(WORD_TABLE)
    assert (
        "<table><thead><tr><th>序号</th><th>项目名称</th><th>资金（万元）</th></tr></thead>" in body
    )
    assert 'rowspan="2"' in body and 'colspan="2"' in body
    for word in ("style", "width", "class", "Mso", "colgroup", "<p>序号", "<b>"):
        assert word not in body.split("<table>")[1].split("</table>")[0]
    assert clean_body(body) == body, "cleaning is stable"
    # the table's text is searchable, and the editor shows the HTML (a re-save keeps the table)
    text = body_text(body)
    assert "城乡低保提标" in text and "合计 1620" in text
    assert body_for_editing(body) == body


def test_a_table_pasted_as_text_is_a_table_and_edits_as_it_was_pasted():
    pasted = "今年安排资金如下：\n序号\t项目名称\t资金（万元）\n1\t城乡低保提标\t1,200\n此复。"
    body = clean_body(pasted)
    assert body == (
        "<p>今年安排资金如下：</p><table><tbody>"
        "<tr><td>序号</td><td>项目名称</td><td>资金（万元）</td></tr>"
        "<tr><td>1</td><td>城乡低保提标</td><td>1,200</td></tr>"
        "</tbody></table><p>此复。</p>"
    )
    assert body_for_editing(body) == pasted
    # one line with a tab is a paragraph, not a table
    assert clean_body("甲\t乙\n丙") == "<p>甲\t乙</p><p>丙</p>"


def test_nothing_unsafe_passes_through_a_table():
    body = clean_body(
        '<table onmouseover="x()"><tr><td colspan="2&quot; onclick=&quot;x()" style="color:red">'
        "甲<script>alert(1)</script><img src=x onerror=alert(1)></td>"
        '<td rowspan="999"><a href="javascript:x()">乙</a>&lt;b&gt;</td></tr></table>'
    )
    assert body == "<table><tbody><tr><td>甲</td><td>乙&lt;b&gt;</td></tr></tbody></table>"


def test_a_table_inside_a_cell_becomes_its_text():
    table = parse_table(
        "<table><tr><td>外</td><td><table><tr><td>内一</td><td>内二</td></tr></table></td></tr></table>"
    )
    assert [[cell.text for cell in row] for row in table.rows] == [["外", "内一 内二"]]


@pytest.fixture(scope="module")
def table_letter(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Page], Reply]:
    paragraphs = "<p>" + "我们高度重视这件建议，组织专班认真研究办理，逐项落实。" * 6 + "</p>"
    reply = letter_reply(None, body_html=clean_body(paragraphs * 9 + WORD_TABLE))
    path = tmp_path_factory.mktemp("table") / "letter.pdf"
    path.write_bytes(render_letter(reply).content)
    return path, read_layout(path), reply


def test_the_table_stays_inside_the_text_block(table_letter):
    _path, pages, _reply = table_letter
    cells = [
        line
        for page in pages
        for line in page.text_lines
        if any(word in line.text for word in ("序号", "城乡低保", "合计", "1,200", "救急难"))
    ]
    assert len(cells) >= 4
    letterhead = pages[0].text_lines[0]  # 信函格式: the letterhead sits above the text block
    assert letterhead.text == _reply.signing_unit and letterhead.y_min < TOP
    for line in [line for page in pages for line in page.text_lines if line is not letterhead]:
        assert line.x_min >= LEFT - 1.5 and line.x_max <= RIGHT + 1.5, line.text
        assert line.y_min >= TOP - 1.5 and line.y_max <= BOTTOM + 1.5, line.text


def test_long_cells_wrap(table_letter):
    _path, pages, _reply = table_letter
    # the long cell wraps onto several lines of its column, between 序号 and 资金
    lines = [
        line
        for page in pages
        for line in page.text_lines
        if any(word in line.text for word in ("城乡低保", "人均补助", "惠及"))
    ]
    assert len({round(line.y_min) for line in lines}) >= 2, [line.text for line in lines]
    header = next(line for page in pages for line in page.text_lines if "序号" in line.text)
    number = next(word for word in header.words if "资金" in word.text)
    words = [
        word
        for line in lines
        for word in line.words
        if any(part in word.text for part in ("低保", "补助", "惠及", "困难"))
    ]
    assert words and all(word.x_max < number.x_min for word in words)
    # the columns are as wide as their text asks: 序号 narrow, 项目名称 wide
    row = next(line for line in lines if "1,200" in line.text)
    starts = sorted(word.x_min for word in row.words if word.text.strip())
    first, second, third = starts[0], starts[1], starts[-1]
    assert abs(first - LEFT) < 3 * 72 / 25.4 and third > second
    assert (second - first) * 3 < third - second, starts


def test_wide_tables_and_unbreakable_words_stay_inside_the_block(tmp_path):
    url = "https://mzj.zhuzhou.gov.cn/c14917/2020071313541234567890/content_abcdefghijklmnop.html"
    many = "<tr>" + "".join(f"<td>第{i}季度资金到位情况</td>" for i in range(12)) + "</tr>"
    body = clean_body(
        f"<table><tr><td>{url}</td><td>网址</td><td>12345678901234567890123456789</td></tr>"
        f"</table><table>{many}{many}</table>"
    )
    _path, pages = rendered_pages(letter_reply(None, body_html=body), tmp_path)
    text = normalise(layout_text(pages))
    assert "zhuzhou.gov.cn" in text or "zhuzhou" in text
    for page in pages:
        for line in page.text_lines:
            for word in line.words:
                assert word.x_min >= LEFT - 1.5 and word.x_max <= RIGHT + 1.5, word.text


def test_a_long_table_breaks_between_rows_and_repeats_its_header(tmp_path):
    rows = "".join(
        f"<tr><td>{i}</td><td>事项{i}：" + "城乡低保提标惠及困难群众" * 4 + "</td><td>100</td></tr>"
        for i in range(1, 41)
    )
    table = f"<table><thead><tr><th>序号</th><th>事项</th><th>资金</th></tr></thead>{rows}</table>"
    reply = letter_reply(None, body_html=clean_body("<p>资金安排如下：</p>" + table))
    _path, pages = rendered_pages(reply, tmp_path)
    with_rows = [page for page in pages if any("事项" in line.text for line in page.text_lines)]
    assert len(with_rows) >= 2, "the table runs over more than one page"
    for number, page in enumerate(with_rows, 1):
        texts = [line.text.replace(" ", "") for line in page.text_lines]
        header = next(i for i, text in enumerate(texts) if text.startswith("序号"))
        # the first line after the header starts a row (事项N：), never a row's rest
        assert re.search(r"事项\d+：", texts[header + 1]), (number, texts[header : header + 3])
    seen = [
        int(match.group(1))
        for page in pages
        for line in page.text_lines
        if (match := re.search(r"事项(\d+)：", line.text))
    ]
    assert seen == list(range(1, 41)), "every row once, in order"


def test_check_letter_finds_no_character_lost(table_letter, tmp_path):
    path, _pages, reply = table_letter
    source = tmp_path / "body.txt"
    source.write_text(
        "\n".join([reply.opening, body_text(reply.body_html), reply.thanks]), encoding="utf-8"
    )
    if not CHECK_LETTER.is_file():
        pytest.skip("../shared/tools/check_letter.py is not beside the project")
    out = subprocess.run(
        [sys.executable, str(CHECK_LETTER), str(path), str(source)], capture_output=True, text=True
    ).stdout
    lost = next(line for line in out.splitlines() if "missing from the PDF" in line)
    assert lost.split(": ")[1].startswith("0 of "), out
    outside = next(line for line in out.splitlines() if line.startswith("lines outside"))
    assert outside.endswith(": 0"), out
