"""Single sign-on (统一身份认证) against a real OpenID Connect provider on loopback.

The provider is django-oidc-provider in its own process (tests/oidc_provider/), with its own
SQLite file, our application registered as a confidential client and its own users. The browser's
side at the provider (its login form, the authorize redirect) is a `requests` session; our side is
Django's test client, whose callback then fetches the tokens, the signing keys and the claims from
the provider over real HTTP.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from axes.utils import reset as axes_reset
from django.core.management import CommandError, call_command
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import Notification, User
from accounts.signals import security_event

from .factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "pass-1234"  # tests.factories.UserFactory
CLIENT_ID = "jianyi-test"
CLIENT_SECRET = "test-client-secret-not-for-production"
OTHER_CLIENT_ID = "another-site"
OTHER_CLIENT_SECRET = "another-site-secret-not-for-production"
PROVIDER_USERS = [
    {"username": "zhangsan", "last_name": "张", "first_name": "三", "email": "z3@example.cn"},
    {"username": "lisi", "last_name": "李", "first_name": "四", "email": "l4@example.cn"},
]
PROVIDER_PASSWORD = "provider-pw-2026"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The provider's base URL (…/openid), running for the whole session."""
    folder = tmp_path_factory.mktemp("oidc-provider")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    config = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": ["http://testserver/sso/callback/"],
        "post_logout_redirect_uris": ["http://testserver/login/"],
        # for the API's bearer tokens (tests/test_api_tokens.py): we may introspect our own
        # tokens and those of another site of the provider, whose tokens we must still refuse
        "client_scope": ["token_introspection", CLIENT_ID, OTHER_CLIENT_ID],
        "other_clients": [
            {
                "client_id": OTHER_CLIENT_ID,
                "client_secret": OTHER_CLIENT_SECRET,
                "redirect_uris": ["http://testserver/other-site/callback/"],
            }
        ],
        "users": [{**person, "password": PROVIDER_PASSWORD} for person in PROVIDER_USERS],
    }
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "OIDC_PROVIDER_DB": str(folder / "provider.sqlite3"),
        "OIDC_PROVIDER_URL": url,
    }
    subprocess.run(
        [sys.executable, "-m", "tests.oidc_provider.prepare", str(folder / "config.json")],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
    )
    log = open(folder / "server.log", "wb")  # noqa: SIM115 (open for the process's lifetime)
    server = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/openid/.well-known/openid-configuration", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(
                        (folder / "server.log").read_text(errors="replace")
                    ) from None
                time.sleep(0.2)
        yield f"{url}/openid"
    finally:
        server.terminate()
        server.wait(10)
        log.close()


@pytest.fixture
def sso(settings, provider: str) -> str:  # type: ignore[no-untyped-def]
    """Our settings as a deployment with the single sign-on enabled would have them."""
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{provider}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{provider}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{provider}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{provider}/jwks"
    settings.OIDC_OP_LOGOUT_ENDPOINT = f"{provider}/end-session"
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "accounts.sso.SSOBackend",
    ]
    return provider


@pytest.fixture
def events() -> Iterator[list[dict[str, Any]]]:
    received: list[dict[str, Any]] = []

    def receive(sender: Any, signal: Any, **kwargs: Any) -> None:
        received.append(kwargs)

    security_event.connect(receive, weak=False)
    yield received
    security_event.disconnect(receive)


def follow_to_us(browser: requests.Session, response: requests.Response) -> str:
    """Follow the provider's redirects until one leads back to our site; return that URL."""
    for _ in range(10):
        location = response.headers.get("Location")
        assert location, f"the provider stopped at {response.url} ({response.status_code})"
        target = urljoin(response.url, location)
        if target.startswith("http://testserver/"):
            return target
        response = browser.get(target, allow_redirects=False)
    raise AssertionError("too many redirects at the provider")


def provider_login(browser: requests.Session, authorize_url: str, username: str) -> str:
    """In the 'browser' at the provider: open the authorize URL, log in on the provider's form,
    and return the URL the provider sends the browser back to (our callback)."""
    page = browser.get(authorize_url)  # → the provider's login page
    assert page.status_code == 200 and 'name="password"' in page.text
    next_url = parse_qs(urlsplit(page.url).query)["next"][0]
    response = browser.post(
        page.url,
        data={
            "username": username,
            "password": PROVIDER_PASSWORD,
            "next": next_url,
            "csrfmiddlewaretoken": browser.cookies["provider_csrftoken"],
        },
        allow_redirects=False,
    )
    return follow_to_us(browser, response)


def sso_login(
    client: Client, username: str, next_url: str = "", browser: requests.Session | None = None
):  # type: ignore[no-untyped-def]
    """The whole round trip: our 统一身份认证登录 link, the provider, our callback."""
    start = client.get("/sso/login/", {"next": next_url} if next_url else {})
    assert start.status_code == 302
    callback = provider_login(browser or requests.Session(), start["Location"], username)
    assert callback.startswith("http://testserver/sso/callback/?")
    return client.get(callback.removeprefix("http://testserver"))


def logged_in_as(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


@pytest.mark.django_db
class TestSingleSignOn:
    def test_the_login_page_offers_it_and_a_mapped_user_logs_in(
        self, sso: str, events: list[dict[str, Any]]
    ) -> None:
        UserFactory(username="zhangsan", full_name="张三")
        zhangsan = User.objects.get(username="zhangsan")
        client = Client()
        page = client.get("/login/?next=/notifications/")
        assert "统一身份认证登录" in page.content.decode()
        assert "/sso/login/?next=/notifications/" in page.content.decode()

        response = sso_login(client, "zhangsan", next_url="/notifications/")
        assert response.status_code == 302 and response["Location"] == "/notifications/"
        assert logged_in_as(client) == zhangsan
        assert client.get("/notifications/").status_code == 200
        assert [e for e in events if e["action"] == "login.sso"] == [
            {
                "action": "login.sso",
                "actor": zhangsan,
                "target": f"user:{zhangsan.pk}",
                "detail": {"username": "zhangsan", "claim": "preferred_username"},
                "result": "success",
                "request": events[-1]["request"],
            }
        ]

    def test_an_unknown_user_is_refused(self, sso: str, events: list[dict[str, Any]]) -> None:
        client = Client()
        response = sso_login(client, "lisi")
        assert response.status_code == 302 and response["Location"] == "/login/"
        assert logged_in_as(client) is None
        assert "您尚未开通本系统账号" in client.get("/login/").content.decode()
        assert not User.objects.filter(username="lisi").exists()
        refused = [e for e in events if e["action"] == "login.sso_refused"]
        assert refused[0]["detail"]["reason"] == "unknown_user"
        assert refused[0]["detail"]["username"] == "lisi"
        assert refused[0]["result"] == "failure"

    def test_an_unknown_user_is_created_inactive_for_the_administrator(
        self, sso: str, settings, administrator: User, events: list[dict[str, Any]]
    ) -> None:  # type: ignore[no-untyped-def]
        settings.OIDC_UNKNOWN_USER = "create_inactive"
        client = Client()
        response = sso_login(client, "lisi")
        assert response["Location"] == "/login/" and logged_in_as(client) is None
        assert "待系统管理员核实并启用后即可登录" in client.get("/login/").content.decode()
        lisi = User.objects.get(username="lisi")
        assert (lisi.is_active, lisi.role, lisi.full_name, lisi.email) == (
            False,
            "member",
            "李四",
            "l4@example.cn",
        )
        assert not lisi.has_usable_password()
        notice = Notification.objects.get(recipient=administrator)
        assert "lisi" in notice.message and f"/admin/accounts/user/{lisi.pk}/" in notice.url
        assert [e["detail"]["reason"] for e in events if e["action"] == "login.sso_refused"] == [
            "created_inactive"
        ]

        # the second try, still inactive: refused again, no second account, no second notice
        assert sso_login(Client(), "lisi")["Location"] == "/login/"
        assert User.objects.filter(username="lisi").count() == 1
        assert Notification.objects.filter(recipient=administrator).count() == 1

        # once the administrator enables the account, the same login gets in
        User.objects.filter(pk=lisi.pk).update(is_active=True)
        client = Client()
        assert sso_login(client, "lisi").status_code == 302
        assert logged_in_as(client) == lisi
        # no password to change: the link is not offered
        assert "修改密码" not in client.get("/notifications/").content.decode()

    def test_a_deactivated_user_is_refused(self, sso: str) -> None:
        UserFactory(username="zhangsan", is_active=False)
        client = Client()
        assert sso_login(client, "zhangsan")["Location"] == "/login/"
        assert logged_in_as(client) is None
        assert "您的账号尚未启用或已停用" in client.get("/login/").content.decode()

    def test_another_claim_can_name_the_local_user(self, sso: str, settings) -> None:  # type: ignore[no-untyped-def]
        settings.OIDC_USERNAME_CLAIM = "email"
        by_mail = UserFactory(username="z3@example.cn")
        UserFactory(username="zhangsan")
        client = Client()
        sso_login(client, "zhangsan")
        assert logged_in_as(client) == by_mail

    def test_logout_ends_the_provider_session_too(self, sso: str) -> None:
        UserFactory(username="zhangsan")
        client = Client()
        browser = requests.Session()
        sso_login(client, "zhangsan", browser=browser)

        response = client.post("/logout/")
        assert logged_in_as(client) is None
        end_session = response["Location"]
        assert end_session.startswith(f"{sso}/end-session?")
        query = parse_qs(urlsplit(end_session).query)
        assert query["id_token_hint"][0].count(".") == 2  # a JWT
        assert query["post_logout_redirect_uri"] == ["http://testserver/login/"]
        # the provider logs the browser out and sends it back to our login page ...
        back = browser.get(end_session, allow_redirects=False)
        assert back.headers["Location"] == "http://testserver/login/"
        # ... so the next 统一身份认证登录 asks for the provider's password again
        start = Client().get("/sso/login/")
        again = browser.get(start["Location"])
        assert 'name="password"' in again.text

    def test_a_password_session_logs_out_here_only(self, sso: str) -> None:
        UserFactory(username="zhangsan")
        client = Client()
        client.post("/login/", {"username": "zhangsan", "password": PASSWORD})
        assert logged_in_as(client) is not None
        assert client.post("/logout/")["Location"] == "/login/"

    def test_a_forged_or_replayed_callback_is_refused_not_a_server_error(
        self, sso: str, events: list[dict[str, Any]]
    ) -> None:
        client = Client()
        response = client.get("/sso/callback/?code=forged&state=forged")
        assert response.status_code == 302 and response["Location"] == "/login/"
        # a state this session never sent
        client.get("/sso/login/")
        response = client.get("/sso/callback/?code=forged&state=other")
        assert response.status_code == 302 and logged_in_as(client) is None
        # a state it did send, but a code the provider never issued
        start = client.get("/sso/login/")
        state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
        response = client.get(f"/sso/callback/?code=forged&state={state}")
        assert response.status_code == 302 and logged_in_as(client) is None
        assert "统一身份认证未能完成" in client.get("/login/").content.decode()
        # the person declined at the provider
        response = Client().get("/sso/callback/?error=access_denied&state=x")
        assert response["Location"] == "/login/"
        reasons = [e["detail"]["reason"] for e in events if e["action"] == "login.sso_refused"]
        assert reasons == ["provider_error"] * 4


@pytest.mark.django_db
def test_refused_sso_logins_lock_their_address_only(sso: str) -> None:
    """Login throttling (django-axes) counts a refused SSO callback under its address: five of
    them lock that address (password logins too), not every SSO login of everybody."""
    UserFactory(username="zhangsan")
    UserFactory(username="wangjianguo")
    for _ in range(5):
        client = Client(REMOTE_ADDR="203.0.113.7")
        start = client.get("/sso/login/")
        state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
        response = client.get(f"/sso/callback/?code=guessed&state={state}")
        assert logged_in_as(client) is None
    # the address is locked, for the single sign-on and for passwords
    locked = Client(REMOTE_ADDR="203.0.113.7")
    assert sso_login(locked, "zhangsan").status_code == 429
    assert logged_in_as(locked) is None
    response = locked.post("/login/", {"username": "wangjianguo", "password": PASSWORD})
    assert response.status_code == 429
    # everybody else logs in, through the provider or with a password
    other = Client(REMOTE_ADDR="198.51.100.9")
    assert sso_login(other, "zhangsan").status_code == 302
    assert logged_in_as(other) is not None
    response = Client().post("/login/", {"username": "wangjianguo", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
class TestPasswordLoginOff:
    @pytest.fixture(autouse=True)
    def _password_login_off(self, sso: str, settings) -> None:  # type: ignore[no-untyped-def]
        settings.LOCAL_PASSWORD_LOGIN = False
        settings.LOCAL_PASSWORD_USERS = ["root"]
        UserFactory(username="zhangsan")
        UserFactory(username="root", role="administrator", is_staff=True, is_superuser=True)

    def test_a_password_login_is_refused_with_a_clear_message(self) -> None:
        client = Client()
        response = client.post("/login/", {"username": "zhangsan", "password": PASSWORD})
        assert response.status_code == 200 and logged_in_as(client) is None
        html = response.content.decode()
        assert "本系统已改用统一身份认证，密码登录仅限应急账号" in html
        assert "用户名或密码不正确" not in html
        # the admin's own login form does not let it through either
        client.post("/admin/login/", {"username": "zhangsan", "password": PASSWORD})
        assert logged_in_as(client) is None

    def test_the_single_sign_on_still_logs_in(self) -> None:
        client = Client()
        sso_login(client, "zhangsan")
        assert logged_in_as(client) is not None and logged_in_as(client).username == "zhangsan"

    def test_the_break_glass_user_keeps_the_password(self) -> None:
        client = Client()
        response = client.post("/login/", {"username": "root", "password": PASSWORD})
        assert response.status_code == 302 and logged_in_as(client) is not None
        assert "密码登录仅限应急账号" in Client().get("/login/").content.decode()


def test_the_endpoints_are_read_from_the_discovery_document(provider: str) -> None:
    out = io.StringIO()
    call_command("oidc_discover", provider, stdout=out)
    assert out.getvalue().splitlines() == [
        f"OIDC_OP_AUTHORIZATION_ENDPOINT={provider}/authorize",
        f"OIDC_OP_TOKEN_ENDPOINT={provider}/token",
        f"OIDC_OP_USER_ENDPOINT={provider}/userinfo",
        f"OIDC_OP_JWKS_ENDPOINT={provider}/jwks",
        f"OIDC_OP_LOGOUT_ENDPOINT={provider}/end-session",
        "OIDC_RP_SIGN_ALGO=RS256",
    ]
    with pytest.raises(CommandError, match="读取发现文档失败"):
        call_command("oidc_discover", provider.replace("/openid", "/nothing-here"))


@pytest.mark.django_db
def test_without_the_setting_there_is_no_single_sign_on() -> None:
    client = Client()
    assert "统一身份认证" not in client.get("/login/").content.decode()
    assert client.get("/sso/login/").status_code == 404
    assert client.get("/sso/callback/?code=x&state=y").status_code == 404


JUNK = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.text(alphabet=st.sampled_from("\x00\n <>&\"'%=?/中文🙂"), max_size=30),
    st.sampled_from(
        ["access_denied", "//evil.example/", "https://evil.example/", "/notifications/"]
    ),
)


@pytest.mark.django_db
def test_no_callback_or_start_makes_a_server_error(sso: str) -> None:
    """Junk in every parameter of both views, with a state this session did send and without:
    a redirect to the login page (or the provider), never a 500, never logged in, never an
    open redirect."""
    UserFactory(username="zhangsan")

    @hypothesis_settings(
        max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(next_url=JUNK, code=JUNK, state=JUNK, error=JUNK, use_real_state=st.booleans())
    def fuzz(next_url: Any, code: Any, state: Any, error: Any, use_real_state: bool) -> None:
        # each example from a clean slate: the refused callbacks before it would otherwise lock
        # this address (the login lock counts refused SSO logins by address) and answer 429
        axes_reset()
        client = Client()
        start = client.get("/sso/login/", {} if next_url is None else {"next": next_url})
        assert start.status_code == 302 and start["Location"].startswith(f"{sso}/authorize?")
        if use_real_state:
            state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
        query = {k: v for k, v in {"code": code, "state": state, "error": error}.items() if v}
        response = client.get("/sso/callback/", query)
        assert response.status_code == 302 and response["Location"] == "/login/"
        assert logged_in_as(client) is None

    fuzz()
