"""The admin (/admin/) is Chinese throughout: section and model names, list pages and forms,
django-axes' login records included (locale/zh_Hans fills what the packages leave in English)."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from .factories import MeetingFactory

# A word with a lower-case Latin letter is English ("Axes", "access logs", "Model name");
# upper-case abbreviations are kept as offices write them (IP 地址, GET 数据, SHA-256).
ENGLISH_WORD = re.compile(r"[A-Za-z]*[a-z][A-Za-z]*")
# Django's own Chinese names keys by what is printed on them (按住 Control 键或 Mac 上的 Command 键…)
KEY_NAMES = {"Control", "Command", "Mac"}
# {number}, {prefix} in the meeting's help text; {year}, {n}, {n:03} in the unit's
PLACEHOLDER = re.compile(r"\{\w+(?::\d+)?\}")
VOID_TAGS = {"br", "img", "input", "meta", "link", "hr", "col", "wbr", "source"}


class PageText(HTMLParser):
    """The page's visible text, data left out: the rows of a list (<tbody>), the filter's choices
    (paths, names), the logged-in user's name, form values (inputs, text areas, the choices of
    a select) and values shown read-only (a password hash, a login's browser). What stays is
    what the admin itself writes: the window title, breadcrumbs, headings, section captions
    and model names, column headers, counts, filter titles, bulk actions, field labels,
    fieldset titles and help texts."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str, bool]] = []  # (tag, id, ignored)
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_TAGS:
            return
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if self.stack and self.stack[-1][2]:
            ignored = True
        elif tag == "select":
            ignored = attributes.get("name") != "action"  # the bulk actions are the admin's
        elif tag == "option":
            ignored = False  # only reached inside the bulk action select
        else:
            ignored = (
                tag in {"script", "style", "tbody", "textarea", "bdi"}
                or attributes.get("id") == "user-tools"
                or "readonly" in classes
                or (tag == "li" and any(i == "changelist-filter" for _, i, _ in self.stack))
            )
        self.stack.append((tag, attributes.get("id") or "", ignored))

    def handle_endtag(self, tag: str) -> None:
        for position in range(len(self.stack) - 1, -1, -1):
            if self.stack[position][0] == tag:
                del self.stack[position:]
                return

    def handle_data(self, data: str) -> None:
        if data.strip() and not (self.stack and self.stack[-1][2]):
            self.texts.append(" ".join(data.split()))


def english_on(html: str) -> list[str]:
    parser = PageText()
    parser.feed(html)
    return [
        text
        for text in parser.texts
        if any(word not in KEY_NAMES for word in ENGLISH_WORD.findall(PLACEHOLDER.sub("", text)))
    ]


@pytest.fixture
def admin_data(db, administrator, member, unit, npc_category):  # type: ignore[no-untyped-def]
    """One row in every list that would otherwise be empty and show no column headers."""
    MeetingFactory()
    AccessAttempt.objects.create(
        username="hehong",
        ip_address="10.0.0.8",
        user_agent="Mozilla/5.0",
        http_accept="text/html",
        path_info="/accounts/login/",
        get_data="",
        post_data="username=hehong",
        failures_since_start=2,
    )
    AccessFailureLog.objects.create(
        username="hehong",
        ip_address="10.0.0.8",
        user_agent="Mozilla/5.0",
        http_accept="text/html",
        path_info="/accounts/login/",
    )
    AccessLog.objects.create(
        username="admin",
        ip_address="10.0.0.9",
        user_agent="Mozilla/5.0",
        http_accept="text/html",
        path_info="/admin/login/",
    )


def test_the_project_apps_and_axes_have_chinese_names():
    names = {config.label: str(config.verbose_name) for config in apps.get_app_configs()}
    for label in ("accounts", "proposals", "replies", "workbench", "axes"):
        assert not ENGLISH_WORD.search(names[label]), (label, names[label])
    assert names["axes"] == "登录记录"
    assert names["workbench"] == "工作台"


@pytest.mark.django_db
def test_the_admin_index_and_every_list_are_chinese(
    login, administrator, security_administrator, audit_administrator, admin_data
):
    # 三员分立: each administrator sees their own part of the admin; together, all of it
    captions: set[str] = set()
    english = {}
    for user in (administrator, security_administrator, audit_administrator):
        client = login(user)
        index = client.get(reverse("admin:index"))
        assert index.status_code == 200
        html = index.content.decode()
        # the sections: every app registered in the admin, under its Chinese name
        captions.update(re.findall(r"<caption>\s*<a [^>]*>([^<]*)</a>\s*</caption>", html))
        assert english_on(html) == []

        request = RequestFactory().get("/admin/")
        request.user = user
        pages = ["admin:index"]
        for model, model_admin in admin.site._registry.items():
            if not model_admin.has_module_permission(request):
                continue
            name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
            pages.append(f"{name}_changelist")
            if model_admin.has_add_permission(request):
                pages.append(f"{name}_add")
            row = model._default_manager.order_by("pk").first()
            if row is not None:
                response = client.get(reverse(f"{name}_change", args=[row.pk]))
                assert response.status_code == 200, name
                # an axes row's title is made by the package from its data ("Access Log for
                # admin @ …"): the object's name is data, the labels and headings are not
                text = english_on(response.content.decode().replace(str(row), ""))
                assert text == [], (name, text)
        for page in pages:
            response = client.get(reverse(page))
            assert response.status_code == 200, page
            found = english_on(response.content.decode())
            if found:
                english[page] = found
    assert sorted(captions) == sorted(
        {str(model._meta.app_config.verbose_name) for model in admin.site._registry}
    )
    assert "登录记录" in captions
    assert english == {}


@pytest.mark.django_db
def test_the_axes_lists_show_chinese_titles_and_columns(login, security_administrator, admin_data):
    client = login(security_administrator)
    html = client.get(reverse("admin:axes_accesslog_changelist")).content.decode()
    assert "<title>选择 登录日志 来修改 | " in html
    columns = re.findall(r'<div class="text"><a href="\?o=\d+">([^<]*)</a></div>', html)
    assert columns == ["尝试时间", "退出时间", "IP 地址", "用户名", "浏览器标识", "访问路径"]
    index = client.get(reverse("admin:index")).content.decode()
    models = re.findall(r'<a href="/admin/axes/\w+/">([^<]*)</a>', index)
    assert sorted(models) == ["登录失败记录", "登录尝试", "登录日志"]


def test_the_committed_catalogue_is_compiled_from_the_po_file(tmp_path: Path):
    """`make run` uses the committed .mo; it must say what the .po says."""
    if shutil.which("msgfmt") is None:
        pytest.skip("gettext's msgfmt is not installed (.ci/system-deps.sh installs it)")
    folder = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
    compiled = tmp_path / "django.mo"
    subprocess.run(
        ["msgfmt", "--check", "-o", str(compiled), str(folder / "django.po")], check=True
    )
    with (folder / "django.mo").open("rb") as committed, compiled.open("rb") as fresh:
        assert gettext.GNUTranslations(committed)._catalog == (  # type: ignore[attr-defined]
            gettext.GNUTranslations(fresh)._catalog  # type: ignore[attr-defined]
        )


def test_the_group_form_names_permissions_in_chinese(login, security_administrator):
    # Django stores its permissions in English ("Can add user"); the group form lists them by
    # the models' Chinese names and the action
    page = login(security_administrator).get(reverse("admin:auth_group_add")).content.decode()
    options = re.findall(r"<option value=\"\d+\"[^>]*>([^<]*)</option>", page)
    assert "用户 · 添加" in options and "建议提案 · 查看" in options and "答复 · 修改" in options
    assert not [text for text in options if text.startswith("Can ") or " | " in text], options[:5]
