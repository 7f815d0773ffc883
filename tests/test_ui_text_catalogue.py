"""Every UI text goes through the catalogue (issue 17): a Chinese word in a template, a Python
module or a script that does not pass through gettext / {% translate %} / {% blocktranslate %}
cannot be translated, so an English page would show it in Chinese.

The scan looks for CJK ideographs (not full-width punctuation such as ：、（）, which still glue
translated pieces together in some places) in:

- templates/**/*.html|txt, outside {% translate %}, {% blocktranslate %}…{% endblocktranslate %},
  {# #}, {% comment %}…{% endcomment %} and _("…") literals;
- the project's *.py (not migrations, tests, .venv), outside calls to the gettext family and
  outside docstrings (Python's `ast`, so comments are never seen);
- static/**/*.js outside comments: scripts take their texts from the page (data-text-*).

What is Chinese on purpose (letters, 文号, the public portal's official texts, demo data, data
formats and text processing) is listed in ALLOWED below with the reason; an entry that no longer
matches anything fails too, so the list stays honest.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

GETTEXT_FUNCTIONS = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}

SKIPPED_DIRS = {".venv", "node_modules", "tests", "migrations", ".git", "var", "staticfiles"}


@dataclass(frozen=True)
class Allowed:
    """Chinese that is not UI text: `path` (a glob) and, optionally, `text` (a regex searched in
    the string constant for Python, in the line for templates and scripts); no `text` allows the
    whole file."""

    path: str
    reason: str
    text: str | None = None


ALLOWED: list[Allowed] = [
    # --- both languages at once, on purpose ---------------------------------------------------
    Allowed(
        "api/*",
        "the API's own documentation (schema descriptions, field help, the docs page) is written in"
        " Chinese and English together for integrators, whatever the UI language (issue 17); its"
        " messages to people go through the catalogue",
    ),
    Allowed(
        "config/settings/base.py",
        "the OpenAPI schema's title and tag descriptions, in Chinese and English together",
        r" / ",
    ),
    Allowed(
        "templates/base.html",
        "the language switch names Chinese in Chinese, as every language switch does",
        r"中文</button>",
    ),
    # --- letters and official texts: Chinese whatever the UI language -------------------------
    Allowed("replies/letters.py", "reply letters (PDF) are official documents in Chinese"),
    Allowed("replies/letter_parts.py", "parts of the reply letter (marks, 签发人, tables)"),
    Allowed("replies/typeset.py", "typesetting rules of Chinese letters (punctuation, titles)"),
    Allowed("replies/text.py", "numbering and sentence rules of the letter body (一、（一）…)"),
    Allowed(
        "reports/documents.py", "the 办理工作报告 (.docx, PDF) is an official document in Chinese"
    ),
    Allowed(
        "templates/reports/report_body.html", "the text of the 办理工作报告 (official document)"
    ),
    Allowed("templates/reports/report.html", "the 办理工作报告 as PDF (official document)"),
    Allowed("templates/replies/letter.html", "the reply letter (rendered to PDF)"),
    Allowed(
        "templates/compilation/book_*.html",
        "the meeting's 汇编 (PDF book of items and replies): an official document, like the letters",
    ),
    Allowed(
        "compilation/book.py",
        "the 汇编's title and PDF metadata: official document text, like the letters",
        r"代表建议|委员提案|及答复汇编|建议提案办理系统",
    ),
    Allowed("templates/replies/_letter_*.html", "parts of the reply letter"),
    Allowed(
        "templates/replies/reply_detail.html",
        "the reply text's own signature date, as in the letter",
        r"signed_on\|date:\"Y年n月j日\"",
    ),
    Allowed(
        "templates/portal/reply.html",
        "the public portal's official reply text: its signature date, as in the letter",
        r"signed_on\|date:\"Y年n月j日\"",
    ),
    Allowed(
        "templates/proposals/urging_notice.html",
        "催办通知: an official notice to a unit (PDF), like the reply letters",
    ),
    Allowed("accounts/document_numbers.py", "文号 formats (〔2026〕12号)"),
    Allowed("config/formats/zh_Hans/formats.py", "the Chinese date formats themselves"),
    Allowed(
        "proposals/models/items.py",
        "the default 编号 format of a meeting, stored as data like 文号",
        r"^第\{number\}号$",
    ),
    # --- policy defaults stored as data (editable per meeting, printed in letters) ------------
    Allowed(
        "proposals/models/items.py",
        "default result classes (A/B/C类) of a meeting's policy, stored as data",
        r"^[ABC]类$|^所提问题|^因条件限制",
    ),
    Allowed(
        "proposals/models/items.py",
        "disclosure wordings: stored values that letters print (labels are translated)",
        r"^(同意公开|主动公开|依申请公开|不予公开)$",
    ),
    Allowed("proposals/sections.py", "default section headings of a meeting's policy (data)"),
    # --- text processing and data formats -----------------------------------------------------
    Allowed("proposals/precheck.py", "patterns that find personal matters in Chinese text"),
    Allowed("proposals/search.py", "Chinese title boilerplate removed before indexing"),
    Allowed("proposals/punctuation.py", "rules of Chinese punctuation"),
    Allowed("replies/redact.py", "patterns that find phone numbers and addresses in Chinese"),
    Allowed("routing/model.py", "Chinese title boilerplate and stop words of the routing model"),
    Allowed(
        "intake/checks.py",
        "values of the import workbook (its outcomes and dates), matched when reading it",
        r"^(已?立案|不予立案|已?并案|转为意见(/来信)?|%Y年%m月%d日)$",
    ),
    Allowed(
        "intake/importer.py",
        "values of the import workbook (its outcomes), matched when reading it",
        r"^(立案|不予立案|并案|转为意见)$",
    ),
    Allowed(
        "intake/sheet.py",
        "column headers and outcome words of the import workbook: its file format",
        r"^(会议|类别|编号|标题|正文|领衔人|联名人|分类|提交日期|审查结果|审查说明|并入编号"
        r"|主办单位|会办单位|说明|立案|不予立案|并案|转为意见)$",
    ),
    # --- not seen by users ----------------------------------------------------------------------
    Allowed("bench/*", "benchmark and load-test scripts with their synthetic Chinese data"),
    Allowed("proposals/demo/*", "demo data"),
    Allowed("proposals/management/commands/seed_demo.py", "demo data"),
    Allowed(
        "routing/management/commands/evaluate_assignment_suggestions.py",
        "offline evaluation tool for developers tuning the routing model (not run in the UI)",
    ),
    Allowed("routing/datasets.py", "CSV readers of the offline evaluation tool above"),
    Allowed(
        "accounts/management/commands/create_administrator.py",
        "an English console command for whoever installs the system (like createsuperuser); "
        "the role names are the new account's default full name (data)",
    ),
    Allowed(
        "proposals/suggestions.py", "log messages (智能交办: …) for operators' logs", r"^智能交办: "
    ),
    Allowed(
        "accounts/checks.py",
        "system-check hint for whoever deploys (English, naming 三员分立)",
        r"^三员分立: ",
    ),
    Allowed(
        "config/settings/base.py",
        "default issuer name shown by authenticator apps (setting OTP_ISSUER, data)",
        r"^建议提案办理系统$",
    ),
]


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text[:80]!r}"


# --- Python -------------------------------------------------------------------------------------


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def scan_python(source: str, path: str = "<string>") -> list[Finding]:
    """String constants with Chinese outside gettext calls and docstrings."""
    tree = ast.parse(source)
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                skipped.add(id(first.value))
        elif isinstance(node, ast.Call) and _called_name(node) in GETTEXT_FUNCTIONS:
            skipped.update(id(inner) for inner in ast.walk(node))
    return sorted(
        (
            Finding(path, node.lineno, node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skipped
            and IDEOGRAPH.search(node.value)
        ),
        key=lambda finding: finding.line,
    )


# --- templates and scripts ----------------------------------------------------------------------

TEMPLATE_TRANSLATED = [
    re.compile(r"\{%\s*comment\b.*?%\}.*?\{%\s*endcomment\s*%\}", re.S),
    re.compile(r"\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}", re.S),
    re.compile(r"\{%\s*trans(?:late)?\b.*?%\}", re.S),
    re.compile(r"\{#.*?#\}", re.S),
    re.compile(r"""_\((?:"[^"]*"|'[^']*')\)"""),
]
SCRIPT_COMMENTS = [re.compile(r"/\*.*?\*/", re.S), re.compile(r"(?m)(?<![:\"'])//.*$")]


def _blank(match: re.Match[str]) -> str:
    """The match replaced by spaces, keeping its line breaks (so line numbers stay right)."""
    return re.sub(r"[^\n]", " ", match.group(0))


def _lines_with_chinese(text: str, removed: list[re.Pattern[str]], path: str) -> list[Finding]:
    for pattern in removed:
        text = pattern.sub(_blank, text)
    return [
        Finding(path, number, line.strip())
        for number, line in enumerate(text.splitlines(), 1)
        if IDEOGRAPH.search(line)
    ]


def scan_template(text: str, path: str = "<string>") -> list[Finding]:
    return _lines_with_chinese(text, TEMPLATE_TRANSLATED, path)


def scan_script(text: str, path: str = "<string>") -> list[Finding]:
    return _lines_with_chinese(text, SCRIPT_COMMENTS, path)


# --- the project --------------------------------------------------------------------------------


def _project_files(pattern: str, under: Path = ROOT) -> list[Path]:
    return sorted(
        path
        for path in under.rglob(pattern)
        if not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts[:-1])
    )


def project_findings() -> list[Finding]:
    findings: list[Finding] = []
    for path in _project_files("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        findings += scan_python(path.read_text(encoding="utf-8"), relative)
    for path in _project_files("*.html", ROOT / "templates") + _project_files(
        "*.txt", ROOT / "templates"
    ):
        relative = path.relative_to(ROOT).as_posix()
        findings += scan_template(path.read_text(encoding="utf-8"), relative)
    for path in _project_files("*.js", ROOT / "static"):
        relative = path.relative_to(ROOT).as_posix()
        if "/vendor/" not in f"/{relative}":
            findings += scan_script(path.read_text(encoding="utf-8"), relative)
    return findings


def allowed_by(finding: Finding) -> Allowed | None:
    for entry in ALLOWED:
        if fnmatch(finding.path, entry.path) and (
            entry.text is None or re.search(entry.text, finding.text)
        ):
            return entry
    return None


def test_every_ui_text_goes_through_the_catalogue() -> None:
    outside = [str(f) for f in project_findings() if allowed_by(f) is None]
    assert not outside, (
        "Chinese text outside the catalogue: wrap it in _()/gettext_lazy or "
        "{% translate %}/{% blocktranslate %} (one msgid with named placeholders), "
        "or, if it is not UI text, add it to ALLOWED with the reason:\n" + "\n".join(outside)
    )


def test_every_allowlist_entry_is_still_needed() -> None:
    used = {id(entry) for f in project_findings() if (entry := allowed_by(f)) is not None}
    stale = [f"{e.path} {e.text or ''} ({e.reason})" for e in ALLOWED if id(e) not in used]
    assert not stale, "ALLOWED entries that match nothing any more:\n" + "\n".join(stale)


# --- the scanner itself -------------------------------------------------------------------------


def test_the_scanner_finds_a_python_message_outside_gettext() -> None:
    source = '''
"""模块说明：a docstring is not UI text."""
from django.contrib import messages
from django.utils.translation import gettext as _, ngettext


def view(request, n):
    """视图说明"""
    # 注释也不是
    messages.success(request, _("已保存：%(n)s") % {"n": n})
    messages.info(request, ngettext("%(n)s 件", "%(n)s 件", n) % {"n": n})
    messages.success(request, "保存成功")
    return f"共 {n} 件"
'''
    assert [(f.line, f.text) for f in scan_python(source)] == [
        (12, "保存成功"),
        (13, "共 "),
        (13, " 件"),
    ]


def test_the_scanner_finds_a_template_text_outside_translate() -> None:
    template = """{% load i18n %}{# 注释 #}
<h1>{% translate "标题" %}</h1>
{% blocktranslate trimmed with n=count %}
  共 {{ n }} 件
{% endblocktranslate %}
{% comment %}说明{% endcomment %}
<td>{{ value|default:_("未填写") }}</td>
<p>新的文字</p>
"""
    assert [(f.line, f.text) for f in scan_template(template)] == [(8, "<p>新的文字</p>")]


def test_the_scanner_finds_a_script_text() -> None:
    script = """// 说明
var a = texts.saved; /* 注释 */
var b = "已保存";
"""
    assert [(f.line, f.text) for f in scan_script(script)] == [(3, 'var b = "已保存";')]


def test_an_allowlisted_pattern_covers_only_what_it_names() -> None:
    letter_date = Finding(
        "templates/portal/reply.html", 1, '{{ reply.signed_on|date:"Y年n月j日" }}'
    )
    other = Finding("templates/portal/reply.html", 2, "<p>公开日期</p>")
    assert allowed_by(letter_date) is not None
    assert allowed_by(other) is None


def test_the_separator_filters_join_and_escape_like_join() -> None:
    from django.template import Context, Template

    from proposals.separators import clauses, enumeration, phrases

    assert enumeration(["市民政局", "市交通局"]) == "市民政局、市交通局"
    assert clauses(["缺少案由", "理由不足"]) == "缺少案由；理由不足"
    assert phrases(["至少 10 字", "最多 300 字"]) == "至少 10 字，最多 300 字"
    template = Template("{% load separators %}{{ names|enumeration }} {{ names|clauses }}")
    assert (
        template.render(Context({"names": ["<b>甲</b>", "乙"]}))
        == "&lt;b&gt;甲&lt;/b&gt;、乙 &lt;b&gt;甲&lt;/b&gt;；乙"
    )
