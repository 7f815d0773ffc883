"""Sessions: idle logout, absolute lifetime, other sessions ended by a password change, and the
previous-login notice."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.sessions import ACTIVITY_AT_KEY, LOGIN_AT_KEY

from .factories import UserFactory

PASSWORD = "pass-1234"  # the factories' password
IP = "203.0.113.7"


@pytest.fixture
def hehong(db) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(username="hehong", full_name="何红")


def login(ip: str = IP, password: str = PASSWORD) -> Client:
    client = Client(REMOTE_ADDR=ip)
    response = client.post("/login/", {"username": "hehong", "password": password})
    assert response.status_code == 302, "the login was refused"
    return client


def shift_clocks(client: Client, *, login_minutes_ago: float, activity_minutes_ago: float) -> None:
    """Move the session's clocks back, as if that much time had passed (the session is the
    only place the middleware reads them from)."""
    now = timezone.now().timestamp()
    session = client.session
    session[LOGIN_AT_KEY] = now - login_minutes_ago * 60
    session[ACTIVITY_AT_KEY] = now - activity_minutes_ago * 60
    session.save()


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def shown(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- idle timeout and lifetime -----------------------------------------------------------------


def test_the_defaults() -> None:
    assert (settings.SESSION_IDLE_MINUTES, settings.SESSION_ABSOLUTE_HOURS) == (30, 12)
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


def test_29_idle_minutes_keep_the_session_and_count_as_activity(hehong: User) -> None:
    client = login()
    shift_clocks(client, login_minutes_ago=29, activity_minutes_ago=29)
    assert client.get("/").status_code == 200
    assert logged_in(client)
    # that request was activity: another 29 minutes later she is still in
    assert timezone.now().timestamp() - client.session[ACTIVITY_AT_KEY] < 60


def test_30_idle_minutes_log_out_with_a_chinese_message(hehong: User) -> None:
    client = login()
    shift_clocks(client, login_minutes_ago=30, activity_minutes_ago=30)
    response = client.get("/items/")
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/items/")
    assert not logged_in(client)
    page = client.get(response["Location"])
    assert "因长时间未操作（超过 30 分钟），您已退出登录，请重新登录。" in shown(page)
    assert "因长时间未操作" in page.content.decode()


def test_an_idle_post_is_not_carried_out(hehong: User) -> None:
    client = login()
    shift_clocks(client, login_minutes_ago=45, activity_minutes_ago=45)
    response = client.post("/notifications/read/")
    assert (response.status_code, response["Location"]) == (302, "/login/")
    assert not logged_in(client)


def test_the_idle_time_is_a_setting(settings, hehong: User) -> None:  # type: ignore[no-untyped-def]
    settings.SESSION_IDLE_MINUTES = 5
    client = login()
    shift_clocks(client, login_minutes_ago=6, activity_minutes_ago=6)
    page = client.get("/", follow=True)
    assert not logged_in(client)
    assert "因长时间未操作（超过 5 分钟），您已退出登录，请重新登录。" in shown(page)


def test_an_active_session_ends_after_the_absolute_lifetime(hehong: User) -> None:
    client = login()
    shift_clocks(client, login_minutes_ago=11 * 60 + 59, activity_minutes_ago=1)
    assert client.get("/").status_code == 200
    shift_clocks(client, login_minutes_ago=12 * 60, activity_minutes_ago=1)
    page = client.get("/", follow=True)
    assert not logged_in(client)
    assert "登录已超过 12 小时，为安全起见请重新登录。" in shown(page)


def test_a_session_from_before_the_upgrade_starts_its_clocks(hehong: User) -> None:
    client = login()
    session = client.session
    del session[LOGIN_AT_KEY]
    del session[ACTIVITY_AT_KEY]
    session.save()
    assert client.get("/").status_code == 200
    assert LOGIN_AT_KEY in client.session


def test_every_login_path_starts_the_clocks(hehong: User, administrator: User) -> None:
    """The clocks start at Django's user_logged_in, which every login sends (the admin's login,
    single sign-on, a test's force_login)."""
    admin = Client()
    response = admin.post("/admin/login/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 302
    assert LOGIN_AT_KEY in admin.session
    client = Client()
    client.force_login(hehong)
    assert LOGIN_AT_KEY in client.session


# --- a password change ends the other sessions -------------------------------------------------


def test_a_password_change_logs_out_the_other_sessions_only(hehong: User) -> None:
    office, phone = login(), login(ip="198.51.100.20")
    assert phone.get("/").status_code == 200
    response = office.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": "Gx7!mqvR2", "new_password2": "Gx7!mqvR2"},
        follow=True,
    )
    assert "密码已修改。您在其他设备上的登录已失效。" in shown(response)
    assert office.get("/").status_code == 200 and logged_in(office)
    response = phone.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not logged_in(phone)


def test_a_session_from_another_login_path_ends_too(
    hehong: User, security_administrator: User
) -> None:
    """Single sign-on and the admin log in through django.contrib.auth.login like force_login
    does: the session keeps the password's hash whichever way, so a reset ends it."""
    elsewhere = Client()
    elsewhere.force_login(hehong)
    assert elsewhere.get("/").status_code == 200
    admin = Client()
    admin.force_login(security_administrator)
    response = admin.post(
        f"/admin/accounts/user/{hehong.pk}/password/",
        {"password1": "Reset#2026x", "password2": "Reset#2026x", "usable_password": "true"},
    )
    assert response.status_code == 302
    assert elsewhere.get("/").status_code == 302
    assert not logged_in(elsewhere)
    assert (
        admin.get("/").status_code == 200
    )  # the security administrator's own session is untouched


def test_without_a_change_both_sessions_stay(hehong: User) -> None:
    office, phone = login(), login(ip="198.51.100.20")
    assert office.get("/").status_code == 200
    assert phone.get("/").status_code == 200


# --- the previous login ----------------------------------------------------------------------


def test_the_first_login_says_so(hehong: User) -> None:
    client = Client(REMOTE_ADDR=IP)
    page = client.post("/login/", {"username": "hehong", "password": PASSWORD}, follow=True)
    assert shown(page) == ["这是您在本系统的第一次登录。"]


def test_the_next_login_shows_the_previous_one_and_the_failures_since(hehong: User) -> None:
    first = login(ip="198.51.100.20")
    first.post("/logout/")
    for _ in range(2):
        response = Client(REMOTE_ADDR="192.0.2.66").post(
            "/login/", {"username": "hehong", "password": "guess"}
        )
        assert response.status_code == 200

    from axes.models import AccessLog

    previous = AccessLog.objects.get(username="hehong")
    when = timezone.localtime(previous.attempt_time).strftime("%Y-%m-%d %H:%M")

    client = Client(REMOTE_ADDR=IP)
    page = client.post("/login/", {"username": "hehong", "password": PASSWORD}, follow=True)
    assert shown(page) == [f"上次登录：{when}，地址 198.51.100.20；此后登录失败 2 次。"]
    assert "此后登录失败 2 次" in page.content.decode()

    # the failures before that login do not count again at the next one
    client.post("/logout/")
    page = Client(REMOTE_ADDR=IP).post(
        "/login/", {"username": "hehong", "password": PASSWORD}, follow=True
    )
    assert shown(page)[0].endswith(f"地址 {IP}；此后登录失败 0 次。")


def test_failures_for_another_username_are_not_counted(hehong: User) -> None:
    login().post("/logout/")
    UserFactory(username="wangjianguo")
    Client().post("/login/", {"username": "wangjianguo", "password": "guess"})
    page = Client(REMOTE_ADDR=IP).post(
        "/login/", {"username": "hehong", "password": PASSWORD}, follow=True
    )
    assert shown(page)[0].endswith("此后登录失败 0 次。")


def test_expired_sessions_are_deleted_daily(hehong: User) -> None:
    from datetime import timedelta

    from django.contrib.sessions.models import Session

    from accounts.tasks import clear_expired_sessions

    assert "clear-expired-sessions" in settings.CELERY_BEAT_SCHEDULE
    old, current = login(), login()
    Session.objects.filter(session_key=old.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    clear_expired_sessions.delay().get()
    assert list(Session.objects.values_list("session_key", flat=True)) == [
        current.session.session_key
    ]
