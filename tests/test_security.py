"""Security settings, measured: `check --deploy` on the production settings, the
Content-Security-Policy on every page, cookie flags, Argon2 passwords, login throttling and the
append-only event log in the admin."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from accounts.models import User
from accounts.throttle import client_ip
from config.settings import base as base_settings
from proposals import services
from proposals.models import ProposalEvent

from .factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "pass-1234"  # tests.factories.UserFactory's


def prod_env(**extra: str) -> dict[str, str]:
    """The environment of a production process: this one's minus every DJANGO_* override."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        POSTGRES_DB=os.environ.get("POSTGRES_DB", "jianyi"),
    )
    env.update(extra)
    return env


def run_prod(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=prod_env(**extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- production settings --------------------------------------------------------------------


def test_check_deploy_on_production_settings_gives_no_warning() -> None:
    result = run_prod("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues (0 silenced)" in output


def test_check_deploy_does_notice_an_unsafe_setting() -> None:
    """The check above can fail: turning secure cookies off is reported."""
    result = run_prod(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING", DJANGO_SECURE_COOKIES="false"
    )
    assert result.returncode != 0
    assert "security.W012" in result.stderr and "security.W016" in result.stderr


def test_production_refuses_a_weak_secret_key() -> None:
    result = run_prod("manage.py", "check", DJANGO_SECRET_KEY="short")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


COOKIE_SETTINGS = (
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
)


@pytest.fixture(scope="module")
def prod_cookie_settings() -> dict[str, object]:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n) for n in {COOKIE_SETTINGS!r}}}))"
    )
    result = run_prod("-c", code)
    assert result.returncode == 0, result.stderr
    values: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return values


def test_production_cookie_settings(prod_cookie_settings: dict[str, object]) -> None:
    assert prod_cookie_settings == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
    }


@pytest.mark.django_db
def test_session_and_csrf_cookies_carry_the_flags_on_a_real_login(
    prod_cookie_settings: dict[str, object],
) -> None:
    UserFactory(username="cookie", role="member")
    with override_settings(**prod_cookie_settings):
        client = Client()
        page = client.get("/login/")
        csrf = page.cookies[settings.CSRF_COOKIE_NAME]
        response = client.post("/login/", {"username": "cookie", "password": PASSWORD})
        assert response.status_code == 302
        session = response.cookies[settings.SESSION_COOKIE_NAME]
    for cookie in (csrf, session):
        assert cookie["secure"] is True, cookie.key
        assert cookie["httponly"] is True, cookie.key
        assert cookie["samesite"] == "Lax", cookie.key


# --- Content-Security-Policy -----------------------------------------------------------------

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def csp_of(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name] = value.strip()
    return directives


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "urls"),
    [
        ("anonymous", ["/login/", "/public/", "/", "/items/999999/"]),
        ("member", ["/", "/items/", "/items/new/", "/notifications/", "/items/dashboard/"]),
        ("unit_staff", ["/", "/items/work/", "/replies/follow-ups/"]),
        ("supervisor", ["/", "/items/review/", "/items/dashboard/", "/items/scorecards/"]),
        ("administrator", ["/", "/admin/", "/admin/proposals/proposalevent/"]),
    ],
)
def test_every_page_has_the_content_security_policy(
    role: str,
    urls: list[str],
    member: User,
    unit_staff: User,
    npc_supervisor: User,
    administrator: User,
    npc_meeting,
) -> None:
    users = {
        "member": member,
        "unit_staff": unit_staff,
        "supervisor": npc_supervisor,
        "administrator": administrator,
    }
    client = Client()
    if role != "anonymous":
        client.force_login(users[role])
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 302, 403, 404), url
        assert csp_of(response) == EXPECTED_CSP, f"{role} {url} ({response.status_code})"


TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
# Rendered to PDF by WeasyPrint, never sent to a browser: their <style> blocks are fine.
PDF_TEMPLATES = {
    "replies/letter.html",
    "proposals/urging_notice.html",
    "reports/report.html",  # the 办理工作报告's PDF (WeasyPrint)
    "compilation/book_body.html",  # the 汇编's PDF (WeasyPrint)
}
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE | re.DOTALL)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"(href|src|action)\s*=\s*[\"']?\s*javascript:", re.IGNORECASE)


def templates() -> list[tuple[str, str]]:
    found = []
    for folder in TEMPLATE_DIRS:
        for path in sorted(folder.rglob("*.html")):
            found.append((path.relative_to(folder).as_posix(), path.read_text(encoding="utf-8")))
    return found


def test_there_are_templates_to_check() -> None:
    names = [name for name, _ in templates()]
    assert "base.html" in names and len(names) > 30


@pytest.mark.parametrize(
    ("what", "pattern"),
    [
        ("inline <script>", INLINE_SCRIPT),
        ("on* event attribute", EVENT_ATTRIBUTE),
        ("style attribute", STYLE_ATTRIBUTE),
        ("javascript: URL", JAVASCRIPT_URL),
    ],
)
def test_no_template_needs_unsafe_inline(what: str, pattern: re.Pattern[str]) -> None:
    offenders = [name for name, text in templates() if pattern.search(text)]
    assert offenders == [], f"{what} in {offenders}: the CSP blocks it; use a class in app.css"


def test_style_elements_only_in_pdf_templates() -> None:
    offenders = {name for name, text in templates() if STYLE_ELEMENT.search(text)}
    assert offenders <= PDF_TEMPLATES


def test_the_checks_catch_what_they_look_for() -> None:
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/app.js"></script>')
    assert EVENT_ATTRIBUTE.search('<img src="x"\n  onerror="alert(1)">')
    assert STYLE_ATTRIBUTE.search('<div class="a" style="width:3px">')
    assert not STYLE_ATTRIBUTE.search('<rect width="3" fill="#000"/>')
    assert JAVASCRIPT_URL.search('<a href="javascript:void(0)">')


# --- passwords -------------------------------------------------------------------------------


def test_production_hashes_passwords_with_argon2id() -> None:
    assert base_settings.PASSWORD_HASHERS[0] == "accounts.hashers.OWASPArgon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=base_settings.PASSWORD_HASHERS):
        encoded = make_password("一个足够长的密码 2026")
        # OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane
        assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
        assert check_password("一个足够长的密码 2026", encoded)
        assert not check_password("wrong", encoded)


@pytest.mark.django_db
def test_an_older_hash_is_upgraded_to_argon2_at_login() -> None:
    with override_settings(PASSWORD_HASHERS=base_settings.PASSWORD_HASHERS):
        UserFactory(username="legacy", role="member")
        user = User.objects.get(username="legacy")
        User.objects.filter(pk=user.pk).update(
            password=make_password(PASSWORD, hasher="pbkdf2_sha256")
        )
        response = Client().post("/login/", {"username": "legacy", "password": PASSWORD})
        assert response.status_code == 302
        user.refresh_from_db()
        assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


@pytest.mark.django_db
def test_a_hash_with_other_argon2_parameters_still_logs_in_and_is_rehashed() -> None:
    from django.contrib.auth.hashers import Argon2PasswordHasher

    with override_settings(PASSWORD_HASHERS=base_settings.PASSWORD_HASHERS):
        UserFactory(username="older", role="member")
        user = User.objects.get(username="older")
        django_default = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
        assert "m=102400" in django_default
        User.objects.filter(pk=user.pk).update(password=django_default)
        response = Client().post("/login/", {"username": "older", "password": PASSWORD})
        assert response.status_code == 302
        user.refresh_from_db()
        assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


# --- login throttling ------------------------------------------------------------------------


def attempt(username: str, password: str, ip: str = "203.0.113.7"):  # type: ignore[no-untyped-def]
    return Client().post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def logged_in(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 302 and "_auth_user_id" in response.client.session


LOCKED_TEXT = "登录失败已达 5 次"


@pytest.mark.django_db
class TestLoginThrottling:
    @pytest.fixture(autouse=True)
    def users(self) -> None:
        UserFactory(username="hehong", role="member")
        UserFactory(username="wangjianguo", role="member")

    def test_settings(self) -> None:
        assert settings.AXES_FAILURE_LIMIT == 5
        assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60

    def test_a_wrong_password_shows_the_form_again(self) -> None:
        response = attempt("hehong", "wrong")
        assert response.status_code == 200
        assert "用户名或密码不正确" in response.content.decode()

    def test_four_failures_do_not_lock_and_a_success_resets_the_count(self) -> None:
        for _ in range(4):
            assert attempt("hehong", "wrong").status_code == 200
        assert logged_in(attempt("hehong", PASSWORD))
        for _ in range(4):
            assert attempt("hehong", "wrong").status_code == 200
        assert logged_in(attempt("hehong", PASSWORD))

    def test_five_failures_lock_the_username_even_with_the_right_password(self) -> None:
        responses = [attempt("hehong", "wrong") for _ in range(5)]
        assert [r.status_code for r in responses[:4]] == [200] * 4
        assert responses[4].status_code == 429
        refused = attempt("hehong", PASSWORD)
        assert refused.status_code == 429 and not logged_in(refused)
        html = refused.content.decode()
        assert LOCKED_TEXT in html and "15 分钟后再试" in html
        assert 'lang="zh-hans"' in html or "登录已暂时锁定" in html

    def test_the_username_stays_locked_from_other_addresses(self) -> None:
        for n in range(5):
            attempt("hehong", "wrong", ip=f"198.51.100.{n + 1}")
        assert attempt("hehong", PASSWORD, ip="192.0.2.99").status_code == 429
        # another person is not affected
        assert logged_in(attempt("wangjianguo", PASSWORD, ip="192.0.2.99"))

    def test_an_address_that_tries_many_usernames_is_locked(self) -> None:
        for n in range(5):
            attempt(f"guess{n}", "wrong", ip="203.0.113.50")
        assert attempt("wangjianguo", PASSWORD, ip="203.0.113.50").status_code == 429
        assert logged_in(attempt("wangjianguo", PASSWORD, ip="203.0.113.51"))

    def test_a_locked_user_logs_in_after_the_lock_ends(self) -> None:
        for _ in range(5):
            attempt("hehong", "wrong")
        assert attempt("hehong", PASSWORD).status_code == 429
        # 16 minutes pass: the failures are older than AXES_COOLOFF_TIME
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
        assert logged_in(attempt("hehong", PASSWORD))

    def test_the_admin_login_is_throttled_too(self) -> None:
        UserFactory(username="root", role="administrator", is_staff=True, is_superuser=True)
        client = Client()
        for _ in range(5):
            client.post("/admin/login/", {"username": "root", "password": "wrong"})
        response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
        assert response.status_code == 429
        assert "_auth_user_id" not in client.session


class TestClientAddress:
    def request(self, forwarded: str | None = None):  # type: ignore[no-untyped-def]
        extra = {"REMOTE_ADDR": "172.18.0.1"}
        if forwarded is not None:
            extra["HTTP_X_FORWARDED_FOR"] = forwarded
        return RequestFactory().post("/login/", **extra)

    @override_settings(PROXY_COUNT=0)
    def test_without_a_proxy_the_header_is_ignored(self) -> None:
        assert client_ip(self.request("1.2.3.4")) == "172.18.0.1"

    @override_settings(PROXY_COUNT=1)
    def test_behind_one_proxy_the_address_it_saw_counts_not_a_forged_one(self) -> None:
        assert client_ip(self.request("9.9.9.9, 203.0.113.7")) == "203.0.113.7"
        assert client_ip(self.request("203.0.113.7")) == "203.0.113.7"
        assert client_ip(self.request()) == "172.18.0.1"

    @override_settings(PROXY_COUNT=1)
    def test_a_malformed_forwarded_address_falls_back_to_the_proxy(self) -> None:
        assert client_ip(self.request("not-an-ip")) == "172.18.0.1"
        assert client_ip(self.request("203.0.113.7, ")) == "172.18.0.1"
        assert client_ip(self.request(" 2001:db8::1")) == "2001:db8::1"


@pytest.mark.django_db
@override_settings(PROXY_COUNT=1)
def test_odd_usernames_and_addresses_are_counted_not_a_server_error() -> None:
    UserFactory(username="hehong", role="member")
    long_name = "长" * 5000
    for _ in range(5):
        response = Client().post(
            "/login/",
            {"username": long_name, "password": "wrong"},
            HTTP_X_FORWARDED_FOR="garbage, also garbage",
        )
        assert response.status_code in (200, 429)
    assert response.status_code == 429  # counted under the first 150 characters
    # the garbage header fell back to the proxy's address, which is now locked too
    refused = Client().post("/login/", {"username": "hehong", "password": PASSWORD})
    assert refused.status_code == 429


# --- the event log cannot be changed through the admin ---------------------------------------


@pytest.mark.django_db
def test_the_admin_cannot_add_change_or_delete_events(
    administrator: User, member: User, npc_meeting, npc_category
) -> None:
    item = services.proposal_create(
        author=member, meeting=npc_meeting, title="标题", body="正文", category=npc_category
    )
    services.proposal_submit(proposal=item, actor=member)
    event = ProposalEvent.objects.filter(proposal=item).last()
    assert event is not None
    before = list(ProposalEvent.objects.values_list("pk", "action", "note", "actor_id"))
    client = Client()
    client.force_login(administrator)
    base = "/admin/proposals/proposalevent/"
    assert client.post(f"{base}add/", {"action": "closed", "proposal": item.pk}).status_code == 403
    assert client.post(f"{base}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    change = client.post(f"{base}{event.pk}/change/", {"note": "篡改", "action": "closed"})
    assert change.status_code in (200, 403)  # read-only view, the POST saves nothing
    bulk = client.post(base, {"action": "delete_selected", "_selected_action": [event.pk]})
    assert bulk.status_code in (200, 302)
    # deleting the person who acted is refused while the log names them
    page = client.post(f"/admin/accounts/user/{member.pk}/delete/", {"post": "yes"})
    assert page.status_code == 200 and User.objects.filter(pk=member.pk).exists()
    assert list(ProposalEvent.objects.values_list("pk", "action", "note", "actor_id")) == before


# --- redirects stay on the site --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "unit_workspace", "0"],
)
def test_accept_never_redirects_off_the_site(
    target: str, member: User, npc_supervisor: User, npc_meeting, npc_category, unit, unit_staff
) -> None:
    item = services.proposal_create(
        author=member, meeting=npc_meeting, title="标题", body="正文", category=npc_category
    )
    services.proposal_submit(proposal=item, actor=member)
    services.proposal_register(proposal=item, actor=npc_supervisor)
    services.proposal_assign(proposal=item, actor=npc_supervisor, lead_unit=unit)
    lead = item.assignments.get()
    client = Client()
    client.force_login(unit_staff)
    url = f"/items/assignments/{lead.pk}/accept/"
    response = client.post(url, {"next": target})
    assert (response.status_code, response["Location"]) == (302, "/items/work/")
    # the item page's own button comes back to the item
    response = client.post(url, {"next": f"/items/{item.pk}/"})
    assert response["Location"] == f"/items/{item.pk}/"


@pytest.mark.django_db
def test_old_login_records_are_purged_daily(settings) -> None:
    from datetime import timedelta

    from axes.models import AccessLog
    from django.utils import timezone

    from accounts.tasks import purge_login_logs

    settings.LOGIN_LOG_KEEP_DAYS = 30
    UserFactory(username="hehong", role="member", password="demo1234")
    assert logged_in(attempt("hehong", "demo1234"))
    assert logged_in(attempt("hehong", "demo1234"))
    assert AccessLog.objects.count() == 2
    assert purge_login_logs.delay().get() == 0  # recent ones stay
    AccessLog.objects.filter(pk=AccessLog.objects.order_by("pk").first().pk).update(
        attempt_time=timezone.now() - timedelta(days=31)
    )
    assert purge_login_logs.delay().get() == 1
    assert AccessLog.objects.count() == 1
