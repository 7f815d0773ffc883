"""两步验证 (accounts.two_factor): who must use it, setting it up with a QR code drawn by the
server, the second step of the login, throttling of wrong codes, recovery codes, turning it off,
and the security administrator's reset."""

from __future__ import annotations

import base64
import io
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_otp.oath import hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.signals import security_event

from .factories import UserFactory

PASSWORD = "pass-1234"
WRONG_CODE_TEXT = "验证码不正确"
THROTTLED_TEXT = "错误次数过多"
ALL_ADMIN_ROLES = ["supervisor", "administrator", "security_admin", "audit_admin"]


# --- helpers ------------------------------------------------------------------------------------


def fresh_code(user: User) -> str:
    """The authenticator's code for the next time step the device still accepts (a code once
    used is refused again: django-otp remembers the last step)."""
    device = TOTPDevice.objects.get(user=user)
    now_t = int((time.time() - device.t0) // device.step)
    counter = max(now_t + device.drift, device.last_t + 1)
    return str(hotp(device.bin_key, counter, digits=device.digits)).zfill(device.digits)


def wrong_code(user: User) -> str:
    right = fresh_code(user)
    return "000000" if right != "000000" else "111111"


def password_login(user: User) -> Client:
    """A new browser that has passed the password step only."""
    client = Client()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def set_up_second_factor(user: User) -> list[str]:
    """The user sets up an authenticator through the pages; returns the recovery codes shown."""
    client = Client()
    client.force_login(user)
    client.get("/accounts/otp/setup/")
    response = client.post("/accounts/otp/setup/", {"code": fresh_code(user)})
    assert response.status_code == 200
    return recovery_codes_on(response.content.decode())


def recovery_codes_on(html: str) -> list[str]:
    block = re.search(r'<ul class="recovery-codes">(.*?)</ul>', html, re.S)
    return re.findall(r"<code>([a-z2-7]{8})</code>", block.group(1)) if block else []


def verified_client(user: User) -> Client:
    client = password_login(user)
    response = client.post("/accounts/otp/verify/", {"code": fresh_code(user)})
    assert response.status_code == 302
    return client


def home_status(client: Client) -> tuple[int, str]:
    response = client.get("/")
    return response.status_code, response.get("Location", "")


@pytest.fixture
def events() -> Iterator[list[dict[str, Any]]]:
    """What was sent to the audit trail."""
    seen: list[dict[str, Any]] = []

    def receive(sender: Any, **kwargs: Any) -> None:
        seen.append(kwargs)

    security_event.connect(receive, weak=False, dispatch_uid="test_two_factor")
    yield seen
    security_event.disconnect(dispatch_uid="test_two_factor")


def actions(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(event["action"], event["result"]) for event in events]


@pytest.fixture
def required(settings: Any) -> None:
    settings.OTP_REQUIRED_ROLES = ALL_ADMIN_ROLES


@pytest.fixture
def supervisor(db: Any) -> User:
    return UserFactory(
        username="duban", full_name="督办员", role="supervisor", supervisor_scope="npc"
    )


@pytest.fixture
def member(db: Any) -> User:
    return UserFactory(username="hehong", full_name="何红", role="member")


@pytest.fixture
def security_admin(db: Any) -> User:
    return UserFactory(username="anquan", full_name="安全员", role="security_admin")


# --- required for a supervisor ------------------------------------------------------------------


@pytest.mark.usefixtures("required")
def test_a_supervisor_reaches_no_page_before_setting_up_and_verifying(
    supervisor: User, events: list[dict[str, Any]]
) -> None:
    # Given: a supervisor, whose role must use the second factor, who has none yet
    client = password_login(supervisor)
    # Then: every page sends her to the second factor first
    for url in ["/", "/items/", "/items/review/", "/notifications/", "/password/", "/admin/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/otp/verify/"), url
    # and a form posted elsewhere is not acted on
    response = client.post("/notifications/read/")
    assert response.status_code == 302 and "/accounts/otp/" in response["Location"]
    # The verify page, with no device, sends her to set one up, keeping where she was going
    response = client.get("/accounts/otp/verify/?next=/items/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/otp/setup/?next=%2Fitems%2F"
    page = client.get("/accounts/otp/setup/")
    assert page.status_code == 200
    assert "您的角色必须使用两步验证" in page.content.decode()
    # When: she confirms the authenticator with a code from it
    response = client.post("/accounts/otp/setup/", {"code": fresh_code(supervisor)})
    # Then: ten recovery codes are shown once, and the site is open to her
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    codes = recovery_codes_on(response.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert StaticToken.objects.filter(device__user=supervisor).count() == 10
    assert TOTPDevice.objects.get(user=supervisor).confirmed
    assert home_status(client) == (200, "")
    assert client.get("/items/review/").status_code == 200
    # the codes are not shown again
    again = client.get("/accounts/otp/recovery/").content.decode()
    assert recovery_codes_on(again) == [] and "剩余恢复码：10 个" in again
    assert ("otp.enabled", "success") in actions(events)


@pytest.mark.usefixtures("required")
def test_at_the_next_login_a_supervisor_must_give_a_code(
    supervisor: User, events: list[dict[str, Any]]
) -> None:
    set_up_second_factor(supervisor)
    # Given: the password step passed in a new browser
    client = password_login(supervisor)
    assert home_status(client) == (302, "/accounts/otp/verify/?next=%2F")
    # When: a wrong code
    code = wrong_code(supervisor)
    response = client.post("/accounts/otp/verify/", {"code": code, "next": "/items/"})
    # Then: refused with a Chinese message, still kept out, and the audit trail hears of it
    assert response.status_code == 200
    assert WRONG_CODE_TEXT in response.content.decode()
    assert home_status(client)[0] == 302
    assert ("otp.verify_failed", "failure") in actions(events)
    assert all(code not in repr(event["detail"]) for event in events)
    # When: the right code (after the throttle's one-second wait)
    TOTPDevice.objects.filter(user=supervisor).update(throttling_failure_timestamp=None)
    response = client.post(
        "/accounts/otp/verify/", {"code": fresh_code(supervisor), "next": "/items/"}
    )
    # Then: on to the page she asked for
    assert response.status_code == 302 and response["Location"] == "/items/"
    assert home_status(client) == (200, "")


@pytest.mark.usefixtures("required")
def test_passing_the_second_factor_gives_a_new_session_key(supervisor: User) -> None:
    set_up_second_factor(supervisor)
    client = password_login(supervisor)
    before = client.cookies["sessionid"].value
    client.post("/accounts/otp/verify/", {"code": fresh_code(supervisor)})
    assert client.cookies["sessionid"].value != before
    # the key seen before the second step opens nothing
    onlooker = Client()
    onlooker.cookies["sessionid"] = before
    assert home_status(onlooker)[0] == 302


@pytest.mark.usefixtures("required")
@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "0", "items"])
def test_the_verify_page_never_sends_anyone_off_the_site(supervisor: User, target: str) -> None:
    set_up_second_factor(supervisor)
    client = password_login(supervisor)
    response = client.post(
        "/accounts/otp/verify/", {"code": fresh_code(supervisor), "next": target}
    )
    assert response.status_code == 302 and response["Location"] == "/"


# --- optional for others ------------------------------------------------------------------------


@pytest.mark.usefixtures("required")
def test_a_member_logs_in_without_a_second_factor(member: User) -> None:
    client = password_login(member)
    assert home_status(client) == (200, "")
    page = client.get("/accounts/otp/").content.decode()
    assert "未启用" in page and "设置两步验证" in page


@pytest.mark.usefixtures("required")
def test_a_member_who_set_it_up_must_give_a_code_too(member: User) -> None:
    set_up_second_factor(member)
    client = password_login(member)
    assert home_status(client) == (302, "/accounts/otp/verify/?next=%2F")
    client.post("/accounts/otp/verify/", {"code": fresh_code(member)})
    assert home_status(client) == (200, "")


def test_nobody_needs_it_when_the_setting_names_no_role(supervisor: User) -> None:
    client = password_login(supervisor)
    assert home_status(client) == (200, "")


def test_the_user_menu_links_to_the_second_factor(member: User) -> None:
    client = password_login(member)
    assert '<a href="/accounts/otp/">两步验证</a>' in client.get("/").content.decode()


# --- the QR code --------------------------------------------------------------------------------


def test_the_qr_code_is_drawn_by_the_server_as_a_data_uri(member: User) -> None:
    client = password_login(member)
    html = client.get("/accounts/otp/setup/").content.decode()
    sources = re.findall(r'<img [^>]*src="([^"]+)"', html)
    assert len(sources) == 1
    source = sources[0]
    assert source.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(source.removeprefix("data:image/svg+xml;base64,")).decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "<path" in svg
    # no outside service anywhere on the page (only the SVG namespace names one)
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    # the key for typing in by hand is the device's
    device = TOTPDevice.objects.get(user=member, confirmed=False)
    shown = re.search(r'<code class="otp-key">([A-Z2-7 ]+)</code>', html)
    assert shown is not None
    assert shown.group(1).replace(" ", "") == base64.b32encode(device.bin_key).decode().rstrip("=")
    # reloading keeps the same secret (the phone may have scanned it already)
    client.get("/accounts/otp/setup/")
    assert TOTPDevice.objects.filter(user=member).count() == 1


def test_a_wrong_code_at_setup_is_refused_in_chinese(member: User) -> None:
    client = password_login(member)
    client.get("/accounts/otp/setup/")
    for code in [wrong_code(member), "abc", "１２３４５６７", "\x00"]:
        TOTPDevice.objects.filter(user=member).update(throttling_failure_timestamp=None)
        response = client.post("/accounts/otp/setup/", {"code": code})
        assert response.status_code == 200
        page = response.content.decode()
        assert WRONG_CODE_TEXT in page or "空字符" in page, code
    assert not TOTPDevice.objects.filter(user=member, confirmed=True).exists()
    assert not StaticDevice.objects.filter(user=member).exists()


# --- throttling ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("required")
def test_after_a_wrong_code_even_the_right_one_waits(
    supervisor: User, settings: Any, events: list[dict[str, Any]]
) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    set_up_second_factor(supervisor)
    client = password_login(supervisor)
    client.post("/accounts/otp/verify/", {"code": wrong_code(supervisor)})
    # When: the right code straight after a wrong one
    response = client.post("/accounts/otp/verify/", {"code": fresh_code(supervisor)})
    # Then: refused, saying how long to wait
    assert response.status_code == 200
    assert re.search(r"错误次数过多，请 \d+ 秒后再试", response.content.decode())
    assert home_status(client)[0] == 302
    # two failures double the wait
    device = TOTPDevice.objects.get(user=supervisor)
    assert device.throttling_failure_count == 1
    # When: the wait is over
    device.throttling_failure_timestamp -= timedelta(seconds=61)
    device.save()
    response = client.post("/accounts/otp/verify/", {"code": fresh_code(supervisor)})
    assert response.status_code == 302
    assert home_status(client) == (200, "")
    assert TOTPDevice.objects.get(user=supervisor).throttling_failure_count == 0
    assert any(e["detail"].get("throttled") for e in events if e["action"] == "otp.verify_failed")


@pytest.mark.usefixtures("required")
def test_malformed_codes_are_throttled_too(supervisor: User, settings: Any) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    set_up_second_factor(supervisor)
    client = password_login(supervisor)
    client.post("/accounts/otp/verify/", {"code": "guess!"})
    response = client.post("/accounts/otp/verify/", {"code": fresh_code(supervisor)})
    assert THROTTLED_TEXT in response.content.decode()


# --- recovery codes -----------------------------------------------------------------------------


@pytest.mark.usefixtures("required")
def test_a_recovery_code_works_once(supervisor: User, events: list[dict[str, Any]]) -> None:
    codes = set_up_second_factor(supervisor)
    # When: a recovery code instead of the app's (typed in upper case with a space)
    client = password_login(supervisor)
    typed = codes[0][:4].upper() + " " + codes[0][4:].upper()
    response = client.post("/accounts/otp/verify/", {"code": typed}, follow=True)
    # Then: in, told how many are left
    assert response.status_code == 200
    assert "已使用一个恢复码，还剩 9 个" in response.content.decode()
    assert home_status(client) == (200, "")
    assert ("otp.recovery_code_used", "success") in actions(events)
    # When: the same code again, in another browser
    other = password_login(supervisor)
    response = other.post("/accounts/otp/verify/", {"code": codes[0]})
    # Then: refused
    assert WRONG_CODE_TEXT in response.content.decode()
    assert home_status(other)[0] == 302
    assert StaticToken.objects.filter(device__user=supervisor).count() == 9


def in_parallel(clients: list[Client], code: str) -> list[int]:
    """Each browser posts the code at the same moment; the status codes, in any order."""
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def post(client: Client) -> None:
        try:
            barrier.wait()
            statuses.append(client.post("/accounts/otp/verify/", {"code": code}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


@pytest.mark.django_db(transaction=True)
def test_a_recovery_code_used_twice_at_once_works_once(settings: Any) -> None:
    settings.OTP_STATIC_THROTTLE_FACTOR = 0  # only the single use can refuse the second
    user = UserFactory(username="duban2", role="supervisor", supervisor_scope="npc")
    codes = set_up_second_factor(user)
    clients = [password_login(user), password_login(user)]
    assert in_parallel(clients, codes[0]) == [200, 302]  # one refused (the form again), one in
    assert StaticToken.objects.filter(device__user=user).count() == 9


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_cannot_outrun_the_throttle(settings: Any) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    user = UserFactory(username="duban3", role="supervisor", supervisor_scope="npc")
    set_up_second_factor(user)
    clients = [password_login(user) for _ in range(4)]
    assert in_parallel(clients, wrong_code(user)) == [200] * 4
    # one guess was checked and failed; the others waited for it and were then throttled
    assert TOTPDevice.objects.get(user=user).throttling_failure_count == 1


@pytest.mark.usefixtures("required")
def test_new_recovery_codes_replace_the_old_ones(supervisor: User) -> None:
    old = set_up_second_factor(supervisor)
    client = verified_client(supervisor)
    response = client.post("/accounts/otp/recovery/")
    new = recovery_codes_on(response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    other = password_login(supervisor)
    assert WRONG_CODE_TEXT in other.post("/accounts/otp/verify/", {"code": old[1]}).content.decode()
    StaticDevice.objects.filter(user=supervisor).update(throttling_failure_timestamp=None)
    assert other.post("/accounts/otp/verify/", {"code": new[1]}).status_code == 302


@pytest.mark.usefixtures("required")
def test_an_unverified_session_cannot_make_new_recovery_codes(supervisor: User) -> None:
    set_up_second_factor(supervisor)
    client = password_login(supervisor)
    response = client.post("/accounts/otp/recovery/")
    assert response.status_code == 302 and "/accounts/otp/verify/" in response["Location"]
    assert StaticToken.objects.filter(device__user=supervisor).count() == 10


# --- turning it off -----------------------------------------------------------------------------


@pytest.mark.usefixtures("required")
def test_a_member_turns_it_off_with_a_current_code(
    member: User, events: list[dict[str, Any]]
) -> None:
    set_up_second_factor(member)
    client = verified_client(member)
    response = client.post("/accounts/otp/disable/", {"code": wrong_code(member)})
    assert WRONG_CODE_TEXT in response.content.decode()
    assert TOTPDevice.objects.filter(user=member).exists()
    TOTPDevice.objects.filter(user=member).update(throttling_failure_timestamp=None)
    response = client.post("/accounts/otp/disable/", {"code": fresh_code(member)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=member).exists()
    assert not StaticDevice.objects.filter(user=member).exists()
    assert ("otp.disabled", "success") in actions(events)
    # the next login needs the password only
    assert home_status(password_login(member)) == (200, "")


@pytest.mark.usefixtures("required")
def test_a_supervisor_cannot_turn_it_off(supervisor: User) -> None:
    set_up_second_factor(supervisor)
    client = verified_client(supervisor)
    assert "不能关闭" in client.get("/accounts/otp/").content.decode()
    response = client.post("/accounts/otp/disable/", {"code": fresh_code(supervisor)})
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=supervisor, confirmed=True).exists()


# --- the security administrator's reset ---------------------------------------------------------


@pytest.mark.usefixtures("required")
def test_the_security_admin_resets_a_lost_phone(
    supervisor: User, security_admin: User, events: list[dict[str, Any]]
) -> None:
    set_up_second_factor(supervisor)
    set_up_second_factor(security_admin)
    stuck = password_login(supervisor)  # logged in with the password, phone lost
    admin = verified_client(security_admin)
    page = admin.get("/accounts/otp/reset/", {"q": "督办"}).content.decode()
    assert "duban" in page
    # When
    response = admin.post(f"/accounts/otp/reset/{supervisor.pk}/", follow=True)
    # Then: her devices are gone, and she sets up a new one at once
    assert "已重置 督办员 的两步验证" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    assert not StaticDevice.objects.filter(user=supervisor).exists()
    assert ("otp.reset", "success") in actions(events)
    response = stuck.get("/accounts/otp/verify/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/setup/")


@pytest.mark.usefixtures("required")
@pytest.mark.parametrize("role", ["administrator", "supervisor", "audit_admin", "member"])
def test_nobody_else_may_reset(supervisor: User, role: str) -> None:
    set_up_second_factor(supervisor)
    other = UserFactory(
        username=f"other_{role}",
        role=role,
        supervisor_scope="npc" if role == "supervisor" else "",
        is_staff=True,
        is_superuser=True,
    )
    if role != "member":
        set_up_second_factor(other)
        client = verified_client(other)
    else:
        client = password_login(other)
    assert client.get("/accounts/otp/reset/").status_code == 403
    assert client.post(f"/accounts/otp/reset/{supervisor.pk}/").status_code == 403
    assert TOTPDevice.objects.filter(user=supervisor, confirmed=True).exists()
    assert StaticToken.objects.filter(device__user=supervisor).count() == 10


def test_the_reset_action_in_the_admin_is_the_security_admins_only(
    supervisor: User, events: list[dict[str, Any]]
) -> None:
    set_up_second_factor(supervisor)
    administrator = UserFactory(
        username="sysadmin", role="administrator", is_staff=True, is_superuser=True
    )
    security = UserFactory(
        username="secadmin", role="security_admin", is_staff=True, is_superuser=True
    )
    data = {"action": "reset_second_factor", "_selected_action": [supervisor.pk]}
    # the system administrator neither sees nor can run the action
    client = Client()
    client.force_login(administrator)
    assert "reset_second_factor" not in client.get("/admin/accounts/user/").content.decode()
    client.post("/admin/accounts/user/", data)
    assert TOTPDevice.objects.filter(user=supervisor).exists()
    # the security administrator can
    client.force_login(security)
    assert "重置所选用户的两步验证" in client.get("/admin/accounts/user/").content.decode()
    response = client.post("/admin/accounts/user/", data, follow=True)
    assert "已重置 1 个用户的两步验证" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    assert ("otp.reset", "success") in actions(events)


# --- every page, as every kind of user ----------------------------------------------------------

PAGES = [
    # (method, url, {who: status}); the user "with" has a verified second factor
    ("get", "/accounts/otp/", {"anonymous": 302, "member": 200, "with": 200, "security": 200}),
    (
        "get",
        "/accounts/otp/setup/",
        {"anonymous": 302, "member": 200, "with": 302, "security": 200},
    ),
    (
        "get",
        "/accounts/otp/verify/",
        {"anonymous": 302, "member": 302, "with": 302, "security": 302},
    ),
    (
        "get",
        "/accounts/otp/recovery/",
        {"anonymous": 302, "member": 302, "with": 200, "security": 302},
    ),
    (
        "post",
        "/accounts/otp/disable/",
        {"anonymous": 302, "member": 302, "with": 200, "security": 302},
    ),
    (
        "get",
        "/accounts/otp/reset/",
        {"anonymous": 302, "member": 403, "with": 403, "security": 200},
    ),
    (
        "post",
        "/accounts/otp/reset/{pk}/",
        {"anonymous": 302, "member": 403, "with": 403, "security": 302},
    ),
    (
        "post",
        "/accounts/otp/reset/999999/",
        {"anonymous": 302, "member": 403, "with": 403, "security": 404},
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url", "expected"), PAGES, ids=[p[1] + p[0] for p in PAGES])
@pytest.mark.parametrize("who", ["anonymous", "member", "with", "security"])
def test_status_of_each_page(method: str, url: str, expected: dict[str, int], who: str) -> None:
    with_device: Any = UserFactory(username="with", role="member")
    set_up_second_factor(with_device)
    users = {
        "member": UserFactory(username="plain", role="member"),
        "with": with_device,
        "security": UserFactory(username="sec", role="security_admin"),
    }
    client = Client() if who == "anonymous" else None
    if who == "with":
        client = verified_client(with_device)
    elif who != "anonymous":
        client = password_login(users[who])
    assert client is not None
    response = getattr(client, method)(url.format(pk=with_device.pk))
    assert response.status_code == expected[who], (who, method, url)
    if who == "anonymous":
        assert response["Location"].startswith("/login/")


def test_the_console_resets_a_security_admin_who_lost_the_phone(
    security_admin: User, events: list[dict[str, Any]]
) -> None:
    set_up_second_factor(security_admin)
    out = io.StringIO()
    call_command("reset_second_factor", "anquan", stdout=out)
    assert "已重置 anquan 的两步验证" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=security_admin).exists()
    reset = [e for e in events if e["action"] == "otp.reset"]
    assert reset and reset[0]["actor"] is None and reset[0]["detail"]["via"] == "manage.py"
    with pytest.raises(CommandError, match="没有用户名为 nobody 的用户"):
        call_command("reset_second_factor", "nobody")
