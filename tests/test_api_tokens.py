"""Personal API tokens (/accounts/tokens/, accounts.api_tokens) and the single sign-on provider's
bearer tokens, against a tiny DRF view mounted by this module's own urlconf (with the site's
URLs, so that the pages and the admin answer too)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import api_tokens
from accounts.models import PersonalToken, User
from accounts.tasks import purge_personal_tokens
from audit.models import AuditRecord

from . import test_sso
from .factories import UserFactory
from .test_sso import (
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_CLIENT_ID,
    OTHER_CLIENT_SECRET,
    provider_login,
)

# the loopback provider of tests/test_sso.py and our settings pointing at it
provider = test_sso.provider
sso = test_sso.sso

TOKEN = re.compile(r"jy_[A-Za-z0-9_-]{43}")


class WhoAmI(APIView):
    """The smallest API view: who the request authenticated as, and with what."""

    def get(self, request: Request) -> Response:
        return Response(
            {
                "username": request.user.username,
                "auth": type(request.auth).__name__ if request.auth is not None else None,
            }
        )


urlpatterns = [
    path("test-api/whoami/", WhoAmI.as_view()),
    path("", include("config.urls")),
]

pytestmark = [pytest.mark.urls("tests.test_api_tokens"), pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    # the SSO bearer answers are cached (local memory): no test sees another's
    cache.clear()
    yield
    cache.clear()


def make_token(user: User, name: str = "OA 系统对接", days: int = 90) -> tuple[PersonalToken, str]:
    created = api_tokens.personal_token_create(user=user, name=name, days=days)
    return created.token, created.secret


def api_get(secret: str | None, client: Client | None = None) -> Any:
    headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
    return (client or Client()).get("/test-api/whoami/", headers=headers)


def audit_actions() -> list[str]:
    return list(AuditRecord.objects.order_by("sequence").values_list("action", flat=True))


# --- the pages --------------------------------------------------------------------------------


class TestPages:
    def test_anonymous_is_sent_to_the_login_page(self, client: Client) -> None:
        response = client.get("/accounts/tokens/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")

    def test_the_menu_links_to_the_page(self, login, member: User) -> None:  # type: ignore[no-untyped-def]
        page = login(member).get("/notifications/").content.decode()
        assert 'href="/accounts/tokens/"' in page and "API 令牌" in page

    def test_create_shows_the_token_once_and_stores_only_its_hash(
        self, login, member: User
    ) -> None:  # type: ignore[no-untyped-def]
        client = login(member)
        page = client.get("/accounts/tokens/")
        assert page.status_code == 200
        assert "您还没有创建 API 令牌。" in page.content.decode()
        # the expiries offered, 90 days chosen unless the person picks another
        assert '<option value="90" selected>90 天</option>' in page.content.decode()

        response = client.post("/accounts/tokens/", {"name": "OA 系统对接", "days": "180"})
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        content = response.content.decode()
        secrets_shown = TOKEN.findall(content)
        assert len(set(secrets_shown)) == 1
        secret = secrets_shown[0]
        assert "令牌只显示这一次" in content

        token = PersonalToken.objects.get(user=member)
        assert token.name == "OA 系统对接"
        assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert token.key_prefix == secret[3:11]
        assert abs(token.expires_at - (token.created_at + timedelta(days=180))) < timedelta(
            seconds=1
        )
        assert (token.last_used_at, token.revoked_at) == (None, None)
        stored = " ".join(str(value) for value in PersonalToken.objects.values().get().values())
        assert secret not in stored and secret[3:] not in stored

        # the list shows the prefix only, never the secret again
        listing = client.get("/accounts/tokens/").content.decode()
        assert f"jy_{token.key_prefix}…" in listing and "OA 系统对接" in listing
        assert secret not in listing and "有效" in listing and "从未使用" in listing
        assert "api_token.created" in audit_actions()
        record = AuditRecord.objects.get(action="api_token.created")
        assert record.actor == member and record.target == f"api_token:{token.pk}"
        assert secret not in str(record.detail)

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"name": "", "days": "90"}, "请填写令牌名称。"),
            ({"name": "   ", "days": "90"}, "请填写令牌名称。"),
            ({"name": "OA", "days": "7"}, "请从列表中选择有效期。"),
            ({"name": "OA", "days": "abc"}, "请从列表中选择有效期。"),
            ({"name": "OA"}, "请选择有效期。"),
            ({"name": "很长" * 31, "days": "90"}, "名称最多 60 个字。"),
        ],
    )
    def test_bad_input_is_refused_in_chinese(
        self, login, member: User, data: dict[str, str], message: str
    ) -> None:  # type: ignore[no-untyped-def]
        response = login(member).post("/accounts/tokens/", data)
        assert response.status_code == 400
        assert message in response.content.decode()
        assert not TOKEN.search(response.content.decode())
        assert not PersonalToken.objects.exists()

    def test_no_expiry_beyond_the_maximum(self, login, member: User, settings) -> None:  # type: ignore[no-untyped-def]
        settings.API_TOKEN_MAX_DAYS = 90
        client = login(member)
        page = client.get("/accounts/tokens/").content.decode()
        assert 'value="90"' in page and 'value="180"' not in page and 'value="365"' not in page
        response = client.post("/accounts/tokens/", {"name": "OA", "days": "180"})
        assert response.status_code == 400 and "请从列表中选择有效期。" in response.content.decode()
        assert not PersonalToken.objects.exists()

    def test_too_many_usable_tokens_are_refused(self, login, member: User, settings) -> None:  # type: ignore[no-untyped-def]
        settings.API_TOKEN_MAX_PER_USER = 2
        first, _secret = make_token(member, "一")
        make_token(member, "二")
        client = login(member)
        response = client.post("/accounts/tokens/", {"name": "三", "days": "30"})
        assert response.status_code == 400
        assert "您已有 2 个有效令牌，请先撤销不再使用的令牌。" in response.content.decode()
        assert PersonalToken.objects.count() == 2
        # a revoked one no longer counts
        api_tokens.personal_token_revoke(token=first, actor=member)
        assert client.post("/accounts/tokens/", {"name": "三", "days": "30"}).status_code == 200

    def test_the_list_shows_only_ones_own_tokens(
        self, login, member: User, other_member: User
    ) -> None:  # type: ignore[no-untyped-def]
        make_token(member, "我的令牌")
        theirs, _secret = make_token(other_member, "别人的令牌")
        page = login(member).get("/accounts/tokens/").content.decode()
        assert "我的令牌" in page
        assert "别人的令牌" not in page and theirs.key_prefix not in page

    def test_the_list_costs_the_same_queries_for_one_token_or_many(
        self, login, member: User
    ) -> None:  # type: ignore[no-untyped-def]
        client = login(member)
        make_token(member, "一")
        client.get("/accounts/tokens/")  # the session's first request writes its clocks
        with CaptureQueriesContext(connection) as one:
            assert client.get("/accounts/tokens/").status_code == 200
        for name in ("二", "三", "四", "五"):
            make_token(member, name)
        with CaptureQueriesContext(connection) as five:
            assert client.get("/accounts/tokens/").status_code == 200
        assert len(five) == len(one)

    def test_the_owner_revokes_after_confirming(self, login, member: User) -> None:  # type: ignore[no-untyped-def]
        token, secret = make_token(member)
        assert api_get(secret).status_code == 200
        client = login(member)
        confirm = client.get(f"/accounts/tokens/{token.pk}/revoke/")
        assert confirm.status_code == 200 and "确定撤销" in confirm.content.decode()
        token.refresh_from_db()
        assert token.revoked_at is None  # asking is not revoking

        response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
        assert response.status_code == 302 and response["Location"] == "/accounts/tokens/"
        token.refresh_from_db()
        assert token.revoked_at is not None and token.revoked_by == member
        listing = client.get("/accounts/tokens/").content.decode()
        assert "已撤销" in listing and "使用它的程序将无法再访问" in listing
        assert api_get(secret).status_code == 401
        record = AuditRecord.objects.get(action="api_token.revoked")
        assert record.actor == member and record.detail["by_owner"] is True

        # a second revoke changes nothing and records nothing
        client.post(f"/accounts/tokens/{token.pk}/revoke/")
        assert audit_actions().count("api_token.revoked") == 1

    def test_another_users_token_is_not_found(
        self, login, member: User, other_member: User
    ) -> None:  # type: ignore[no-untyped-def]
        theirs, secret = make_token(other_member)
        client = login(member)
        assert client.get(f"/accounts/tokens/{theirs.pk}/revoke/").status_code == 404
        assert client.post(f"/accounts/tokens/{theirs.pk}/revoke/").status_code == 404
        assert client.post("/accounts/tokens/999999/revoke/").status_code == 404
        theirs.refresh_from_db()
        assert theirs.revoked_at is None
        assert api_get(secret).status_code == 200
        assert "api_token.revoked" not in audit_actions()

    def test_a_session_that_must_pass_the_second_factor_is_sent_to_it_first(
        self, login, npc_supervisor: User, settings
    ) -> None:  # type: ignore[no-untyped-def]
        settings.OTP_REQUIRED_ROLES = ["supervisor"]
        client = login(npc_supervisor)
        assert client.get("/accounts/tokens/")["Location"].startswith("/accounts/otp/verify/")
        response = client.post("/accounts/tokens/", {"name": "OA", "days": "90"})
        assert response.status_code == 302
        assert not PersonalToken.objects.exists()


# --- PersonalTokenAuthentication ---------------------------------------------------------------


class TestPersonalTokenAuthentication:
    def test_a_valid_token_authenticates_without_a_session(self, member: User) -> None:
        token, secret = make_token(member)
        client = Client()
        response = api_get(secret, client)
        assert response.status_code == 200
        assert response.json() == {"username": "hehong", "auth": "PersonalToken"}
        assert django_settings.SESSION_COOKIE_NAME not in response.cookies
        assert not client.session.keys()
        token.refresh_from_db()
        assert token.last_used_at is not None

    def test_last_used_is_written_at_most_once_a_minute(self, member: User) -> None:
        token, secret = make_token(member)
        api_get(secret)
        token.refresh_from_db()
        first = token.last_used_at
        api_get(secret)
        token.refresh_from_db()
        assert token.last_used_at == first
        earlier = timezone.now() - timedelta(minutes=2)
        PersonalToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
        api_get(secret)
        token.refresh_from_db()
        assert token.last_used_at is not None and token.last_used_at > earlier

    def test_no_credentials_is_401_naming_the_scheme(self, member: User) -> None:
        response = api_get(None)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'

    def test_expired_is_refused(self, member: User) -> None:
        token, secret = make_token(member)
        PersonalToken.objects.filter(pk=token.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        response = api_get(secret)
        assert response.status_code == 401
        assert "过期，请创建新的令牌" in response.json()["detail"]
        token.refresh_from_db()
        assert token.last_used_at is None

    def test_revoked_is_refused(self, member: User) -> None:
        token, secret = make_token(member)
        api_tokens.personal_token_revoke(token=token, actor=member)
        response = api_get(secret)
        assert (response.status_code, response.json()["detail"]) == (401, "令牌已撤销。")

    @pytest.mark.parametrize(
        "secret",
        [
            "jy_" + "A" * 43,  # well formed, never issued
            "jy_short",
            "jy_" + "A" * 42 + "!",
        ],
    )
    def test_unknown_or_malformed_is_refused(self, member: User, secret: str) -> None:
        make_token(member)
        response = api_get(secret)
        assert (response.status_code, response.json()["detail"]) == (401, "令牌无效。")

    def test_a_header_that_is_not_one_token_is_refused(self, member: User) -> None:
        response = Client().get("/test-api/whoami/", headers={"Authorization": "Bearer a b"})
        assert response.status_code == 401
        assert "Authorization 请求头格式不正确" in response.json()["detail"]

    def test_a_foreign_bearer_token_without_sso_is_refused(self, member: User) -> None:
        response = api_get("eyJhbGciOiJSUzI1NiJ9.e30.sig")
        assert (response.status_code, response.json()["detail"]) == (401, "令牌无效。")

    def test_an_inactive_user_is_refused(self, member: User) -> None:
        _token, secret = make_token(member)
        User.objects.filter(pk=member.pk).update(is_active=False)
        response = api_get(secret)
        assert response.status_code == 401
        assert response.json()["detail"] == "您的账号尚未启用或已停用，请联系系统管理员。"

    def test_a_password_to_change_first_is_refused(self, member: User) -> None:
        _token, secret = make_token(member)
        User.objects.filter(pk=member.pk).update(must_change_password=True)
        response = api_get(secret)
        assert response.status_code == 401 and "密码须先修改" in response.json()["detail"]

    def test_a_role_that_requires_the_second_factor_counts_as_verified(
        self, npc_supervisor: User, settings
    ) -> None:  # type: ignore[no-untyped-def]
        # the token was made from a verified session (the pages need one): it stands for it
        settings.OTP_REQUIRED_ROLES = ["supervisor"]
        _token, secret = make_token(npc_supervisor)
        response = api_get(secret)
        assert response.status_code == 200 and response.json()["username"] == "npc_office"

    def test_a_token_does_not_open_the_sites_pages(self, member: User) -> None:
        _token, secret = make_token(member)
        response = Client().get("/notifications/", headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- the daily purge --------------------------------------------------------------------------


def test_the_daily_job_purges_tokens_expired_or_revoked_long_ago(member: User, settings) -> None:  # type: ignore[no-untyped-def]
    settings.API_TOKEN_PURGE_AFTER_DAYS = 30
    now = timezone.now()
    long_expired, _s1 = make_token(member, "早已过期")
    PersonalToken.objects.filter(pk=long_expired.pk).update(expires_at=now - timedelta(days=31))
    long_revoked, _s2 = make_token(member, "早已撤销")
    PersonalToken.objects.filter(pk=long_revoked.pk).update(revoked_at=now - timedelta(days=31))
    recently_expired, _s3 = make_token(member, "刚过期")
    PersonalToken.objects.filter(pk=recently_expired.pk).update(expires_at=now - timedelta(days=29))
    recently_revoked, _s4 = make_token(member, "刚撤销")
    api_tokens.personal_token_revoke(token=recently_revoked, actor=member)
    make_token(member, "有效")

    assert purge_personal_tokens.delay().get() == 2
    assert set(PersonalToken.objects.values_list("name", flat=True)) == {"刚过期", "刚撤销", "有效"}
    schedule = settings.CELERY_BEAT_SCHEDULE["purge-personal-tokens"]
    assert schedule == {"task": "accounts.tasks.purge_personal_tokens", "schedule": 86400.0}


# --- the security administrator's admin -------------------------------------------------------


class TestAdmin:
    def test_the_security_administrator_sees_and_revokes_anyones_tokens(
        self, login, member: User, other_member: User, security_administrator: User
    ) -> None:  # type: ignore[no-untyped-def]
        mine, secret = make_token(member, "何红的令牌")
        make_token(other_member, "王建国的令牌")
        client = login(security_administrator)
        page = client.get("/admin/accounts/personaltoken/")
        assert page.status_code == 200
        content = page.content.decode()
        assert "何红的令牌" in content and "王建国的令牌" in content
        assert mine.key_hash not in content
        assert client.get(f"/admin/accounts/personaltoken/{mine.pk}/change/").status_code == 200
        assert client.get("/admin/accounts/personaltoken/add/").status_code == 403

        response = client.post(
            "/admin/accounts/personaltoken/",
            {"action": "revoke_tokens", "_selected_action": [str(mine.pk)]},
        )
        assert response.status_code == 302
        mine.refresh_from_db()
        assert mine.revoked_at is not None and mine.revoked_by == security_administrator
        assert api_get(secret).status_code == 401
        record = AuditRecord.objects.get(action="api_token.revoked")
        assert record.actor == security_administrator
        assert record.detail["owner"] == "hehong" and record.detail["by_owner"] is False

    @pytest.mark.parametrize("role", ["administrator", "audit_administrator"])
    def test_other_administrators_may_not(
        self, login, member: User, role: str, request: pytest.FixtureRequest
    ) -> None:  # type: ignore[no-untyped-def]
        token, _secret = make_token(member)
        client = login(request.getfixturevalue(role))
        assert client.get("/admin/accounts/personaltoken/").status_code == 403
        assert client.get(f"/admin/accounts/personaltoken/{token.pk}/change/").status_code == 403
        response = client.post(
            "/admin/accounts/personaltoken/",
            {"action": "revoke_tokens", "_selected_action": [str(token.pk)]},
        )
        assert response.status_code == 403
        token.refresh_from_db()
        assert token.revoked_at is None
        assert "API 令牌" not in client.get("/admin/").content.decode()


# --- SSOBearerAuthentication against the real provider on loopback ----------------------------


def provider_access_token(
    provider_url: str,
    username: str,
    client_id: str = CLIENT_ID,
    client_secret: str = CLIENT_SECRET,
) -> str:
    """An access token of the provider for this person, issued to this client (by default our
    own site's registration), by the code flow: the provider's login form, then its token
    endpoint, as an OA system or a mobile app would obtain it."""
    redirect_uri = (
        "http://testserver/sso/callback/"
        if client_id == CLIENT_ID
        else "http://testserver/other-site/callback/"
    )
    authorize = f"{provider_url}/authorize?" + urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "openid profile email",
            "state": "api-test",
        }
    )
    callback = provider_login(requests.Session(), authorize, username)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    answer = requests.post(
        f"{provider_url}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "client_secret": client_secret,
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


@pytest.fixture
def introspection(sso: str, settings) -> str:  # type: ignore[no-untyped-def]
    """The provider's token introspection endpoint configured too."""
    settings.OIDC_OP_INTROSPECTION_ENDPOINT = f"{sso}/introspect"
    return sso


class TestSSOBearer:
    def test_a_providers_token_maps_to_the_local_user_and_is_cached(self, sso: str) -> None:
        UserFactory(username="zhangsan", full_name="张三")
        access_token = provider_access_token(sso, "zhangsan")
        with mock.patch.object(
            api_tokens.requests, "get", wraps=api_tokens.requests.get
        ) as provider_calls:
            first = api_get(access_token)
            second = api_get(access_token)
        assert first.status_code == 200 and first.json() == {"username": "zhangsan", "auth": None}
        assert second.status_code == 200
        assert provider_calls.call_count == 1  # the second answer came from the cache

    def test_a_person_we_do_not_know_is_refused_and_not_created(self, sso: str, settings) -> None:  # type: ignore[no-untyped-def]
        settings.OIDC_UNKNOWN_USER = "create_inactive"
        response = api_get(provider_access_token(sso, "lisi"))
        assert response.status_code == 401
        assert response.json()["detail"] == "您尚未开通本系统账号，请联系系统管理员。"
        assert not User.objects.filter(username="lisi").exists()

    def test_garbage_is_refused(self, sso: str) -> None:
        response = api_get("not-a-token-the-provider-ever-issued")
        assert (response.status_code, response.json()["detail"]) == (401, "令牌无效或已过期。")

    def test_an_inactive_user_is_refused(self, sso: str) -> None:
        UserFactory(username="zhangsan", full_name="张三", is_active=False)
        response = api_get(provider_access_token(sso, "zhangsan"))
        assert response.status_code == 401 and "已停用" in response.json()["detail"]

    def test_a_user_who_must_pass_the_second_factor_is_told_to_use_a_personal_token(
        self, sso: str, settings
    ) -> None:  # type: ignore[no-untyped-def]
        settings.OTP_REQUIRED_ROLES = ["supervisor"]
        UserFactory(
            username="zhangsan", full_name="张三", role="supervisor", supervisor_scope="npc"
        )
        response = api_get(provider_access_token(sso, "zhangsan"))
        assert response.status_code == 401 and "创建个人令牌" in response.json()["detail"]

    def test_the_provider_unreachable_is_503_and_not_cached(self, sso: str, settings) -> None:  # type: ignore[no-untyped-def]
        UserFactory(username="zhangsan", full_name="张三")
        access_token = provider_access_token(sso, "zhangsan")
        settings.OIDC_OP_USER_ENDPOINT = "http://127.0.0.1:9/userinfo"  # nothing listens
        response = api_get(access_token)
        assert response.status_code == 503
        assert response.json()["detail"] == "统一身份认证暂时无法核验令牌，请稍后再试。"
        settings.OIDC_OP_USER_ENDPOINT = f"{sso}/userinfo"
        assert api_get(access_token).status_code == 200


class TestSSOBearerIntrospection:
    def test_without_introspection_another_sites_token_is_taken(self, sso: str) -> None:
        # what the README warns of: userinfo cannot tell whom a token was issued to
        UserFactory(username="zhangsan", full_name="张三")
        token = provider_access_token(sso, "zhangsan", OTHER_CLIENT_ID, OTHER_CLIENT_SECRET)
        assert api_get(token).status_code == 200

    def test_our_own_sites_token_is_introspected_then_mapped(self, introspection: str) -> None:
        UserFactory(username="zhangsan", full_name="张三")
        token = provider_access_token(introspection, "zhangsan")
        with (
            mock.patch.object(api_tokens.requests, "post", wraps=requests.post) as introspected,
            mock.patch.object(api_tokens.requests, "get", wraps=requests.get) as userinfo,
        ):
            response = api_get(token)
        assert response.status_code == 200 and response.json()["username"] == "zhangsan"
        assert introspected.call_args.args == (f"{introspection}/introspect",)
        assert introspected.call_args.kwargs["auth"] == (CLIENT_ID, CLIENT_SECRET)
        # this provider's introspection names no username: the userinfo endpoint does
        assert userinfo.call_count == 1

    def test_another_sites_token_is_refused(self, introspection: str) -> None:
        UserFactory(username="zhangsan", full_name="张三")
        token = provider_access_token(
            introspection, "zhangsan", OTHER_CLIENT_ID, OTHER_CLIENT_SECRET
        )
        with mock.patch.object(api_tokens.requests, "get", wraps=requests.get) as userinfo:
            response = api_get(token)
        assert response.status_code == 401
        assert response.json()["detail"] == "该令牌不是为本系统签发的，不能访问本系统的 API。"
        assert userinfo.call_count == 0

    def test_another_site_named_in_the_audiences_is_taken(
        self, introspection: str, settings
    ) -> None:  # type: ignore[no-untyped-def]
        settings.OIDC_BEARER_AUDIENCES = [CLIENT_ID, OTHER_CLIENT_ID]
        UserFactory(username="zhangsan", full_name="张三")
        token = provider_access_token(
            introspection, "zhangsan", OTHER_CLIENT_ID, OTHER_CLIENT_SECRET
        )
        response = api_get(token)
        assert response.status_code == 200 and response.json()["username"] == "zhangsan"

    def test_an_inactive_token_is_refused(self, introspection: str) -> None:
        response = api_get("never-issued-by-the-provider")
        assert (response.status_code, response.json()["detail"]) == (401, "令牌无效或已过期。")

    def test_our_credentials_refused_by_the_provider_is_503(
        self, introspection: str, settings
    ) -> None:  # type: ignore[no-untyped-def]
        settings.OIDC_OP_INTROSPECTION_ENDPOINT = f"{introspection}/no-such-endpoint"
        UserFactory(username="zhangsan", full_name="张三")
        response = api_get(provider_access_token(introspection, "zhangsan"))
        assert response.status_code == 503


def test_a_personal_token_opens_the_real_api_with_its_owners_rights_only(
    member: User, other_member: User, npc_meeting, npc_category
) -> None:  # type: ignore[no-untyped-def]
    """The token reaches /api/v1/ as its owner: their own items, not another member's; revoked,
    it opens nothing."""
    from proposals import services as item_services

    own = item_services.proposal_create(
        author=member, meeting=npc_meeting, title="关于令牌测试的建议", body="内容" * 20
    )
    other = item_services.proposal_create(
        author=other_member, meeting=npc_meeting, title="关于别人草稿的建议", body="内容" * 20
    )
    created = api_tokens.personal_token_create(user=member, name="OA", days=30)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {created.secret}")
    listing = api.get("/api/v1/items/")
    assert listing.status_code == 200
    ids = {row["id"] for row in listing.json()["results"]}
    assert own.pk in ids and other.pk not in ids
    assert api.get(f"/api/v1/items/{other.pk}/").status_code == 404
    api_tokens.personal_token_revoke(token=created.token, actor=member)
    refused = api.get("/api/v1/items/")
    assert refused.status_code == 401
    assert "令牌" in refused.json()["detail"]
