"""Password policy: the refusals (in Chinese), the history, expiry and the forced change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.test import Client
from django.utils import timezone

from accounts.models import PasswordHistory, User
from accounts.passwords import character_classes, password_reset
from accounts.signals import security_event

from .factories import UserFactory

OLD = "pass-1234"  # the factories' password
GOOD = "Gx7!mqvR2"


@pytest.fixture
def events() -> list[dict[str, object]]:
    """The security events sent during the test (what the audit app would record)."""
    seen: list[dict[str, object]] = []

    @receiver(security_event, weak=False, dispatch_uid="test-password-events")
    def collect(sender: object, **kwargs: object) -> None:
        seen.append(kwargs)

    yield seen
    security_event.disconnect(dispatch_uid="test-password-events")


def make_user(username: str) -> User:
    return UserFactory(username=username)


def change(client: Client, old: str, new: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/password/",
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def errors(response) -> str:  # type: ignore[no-untyped-def]
    return " ".join(str(e) for e in response.context["form"].errors.get("new_password2", []))


@pytest.fixture
def hehong(db) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(username="hehong", full_name="何红")


@pytest.fixture
def hehong_client(hehong: User) -> Client:
    client = Client()
    client.force_login(hehong)
    return client


# --- the refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1!xyz", "密码太短：至少需要 8 个字符。"),
        ("abcdefgh12", "密码须包含大写字母、小写字母、数字和符号中的至少 3 类。"),
        ("ABCDEFGH!!", "密码须包含大写字母、小写字母、数字和符号中的至少 3 类。"),
        ("Hehong2026!", "密码不能是用户名，也不能包含用户名。"),
        ("Gnoheh#2026", "密码不能是用户名，也不能包含用户名。"),
        ("Aa123456", "这个密码太常见，容易被猜到，请换一个。"),
        ("P@ssw0rd", "这个密码太常见，容易被猜到，请换一个。"),
    ],
)
def test_the_change_form_refuses_a_weak_password_in_chinese(
    hehong: User, hehong_client: Client, password: str, message: str
) -> None:
    response = change(hehong_client, OLD, password)
    assert response.status_code == 200
    assert message in errors(response)
    assert message in response.content.decode()
    hehong.refresh_from_db()
    assert hehong.check_password(OLD)  # nothing changed


def test_a_strong_password_is_accepted(hehong: User, hehong_client: Client) -> None:
    response = change(hehong_client, OLD, GOOD)
    assert response.status_code == 302
    hehong.refresh_from_db()
    assert hehong.check_password(GOOD)


def test_the_change_page_states_the_policy_in_chinese(hehong_client: Client) -> None:
    page = hehong_client.get("/password/").content.decode()
    for rule in (
        "至少 8 个字符。",
        "包含大写字母、小写字母、数字和符号中的至少 3 类。",
        "不能是用户名或包含用户名。",
        "不能是常见密码",
        "不能与最近 5 次使用过的密码相同。",
    ):
        assert rule in page


def test_a_two_letter_username_only_refuses_itself(db) -> None:  # type: ignore[no-untyped-def]
    li = make_user("li")
    validate_password("Olive#2026", li)  # "li" inside a word is no weakness
    with pytest.raises(ValidationError, match="密码不能是用户名"):
        validate_password("LI", li)


def test_character_classes_count_chinese_as_a_symbol() -> None:
    assert character_classes("abc") == 1
    assert character_classes("aB3") == 3
    assert character_classes("aB3!") == 4
    assert character_classes("密码ab12") == 3


def test_the_settings_change_the_policy(settings, hehong: User) -> None:  # type: ignore[no-untyped-def]
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
        {"NAME": "accounts.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 4}},
    ]
    with pytest.raises(ValidationError) as refused:
        validate_password("Gx7mqvR2abc", hehong)
    assert [e.message % e.params for e in refused.value.error_list] == [
        "密码太短：至少需要 12 个字符。",
        "密码须包含大写字母、小写字母、数字和符号中的至少 4 类。",
    ]
    validate_password("Gx7!mqvR2abc", hehong)


# --- history ---------------------------------------------------------------------------------


def test_none_of_the_last_five_passwords_but_the_sixth_older_one(
    hehong: User, hehong_client: Client
) -> None:
    passwords = [f"Gx7!mqvR{n}" for n in range(1, 7)]
    current = OLD
    for password in passwords:
        assert change(hehong_client, current, password).status_code == 302
        current = password
    # the last five (the current one included) are refused, with the reason
    for reused in passwords[1:]:
        response = change(hehong_client, current, reused)
        assert response.status_code == 200
        assert "新密码不能与最近 5 次使用过的密码相同。" in errors(response)
    # the sixth from the end is old enough again
    assert change(hehong_client, current, passwords[0]).status_code == 302
    hehong.refresh_from_db()
    assert hehong.check_password(passwords[0])


def test_the_history_keeps_hashes_never_the_password(hehong: User, hehong_client: Client) -> None:
    for n in range(1, 9):
        previous = OLD if n == 1 else f"Gx7!mqvR{n - 1}"
        assert change(hehong_client, previous, f"Gx7!mqvR{n}").status_code == 302
    stored = list(PasswordHistory.objects.filter(user=hehong).values_list("password", flat=True))
    assert len(stored) == 5  # older ones are forgotten
    assert all(s.startswith("md5$") and "Gx7!mqvR" not in s for s in stored)


def test_an_administrator_cannot_reset_to_a_recent_password_either(hehong: User) -> None:
    with pytest.raises(ValidationError) as refused:
        password_reset(hehong, OLD, by=None)
    assert "新密码不能与最近 5 次使用过的密码相同。" in str(refused.value)


# --- expiry ----------------------------------------------------------------------------------


def age_password(user: User, days: int) -> None:
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - timedelta(days=days)
    )


def test_a_password_younger_than_90_days_is_left_alone(hehong: User, hehong_client: Client) -> None:
    age_password(hehong, 89)
    assert hehong_client.get("/").status_code == 200


def test_an_expired_password_must_be_changed_before_anything_else(
    hehong: User, hehong_client: Client, events: list[dict[str, object]]
) -> None:
    age_password(hehong, 90)
    for path in ("/", "/items/", "/notifications/"):
        response = hehong_client.get(path)
        assert (response.status_code, response["Location"]) == (302, "/password/")
    page = hehong_client.get("/password/").content.decode()
    assert "您的密码已使用超过 90 天，请修改密码后继续使用本系统。" in page
    assert [e["action"] for e in events] == ["password.expired_forced"]  # once a session

    assert change(hehong_client, OLD, GOOD).status_code == 302
    hehong.refresh_from_db()
    assert timezone.now() - hehong.password_changed_at < timedelta(minutes=1)
    assert hehong_client.get("/").status_code == 200
    assert [e["action"] for e in events][-1] == "password.changed"


def test_zero_days_turns_expiry_off(settings, hehong: User, hehong_client: Client) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_MAX_AGE_DAYS = 0
    age_password(hehong, 3650)
    assert hehong_client.get("/").status_code == 200


def test_the_upgrade_expires_nobody(db) -> None:  # type: ignore[no-untyped-def]
    """The migration stamps existing users; new users are stamped when their password is set."""
    user = make_user("newcomer")
    assert user.password_changed_at is not None
    assert timezone.now() - user.password_changed_at < timedelta(minutes=1)


# --- forced change ---------------------------------------------------------------------------


def test_the_password_change_pages_logout_and_static_stay_open(
    hehong: User, hehong_client: Client
) -> None:
    User.objects.filter(pk=hehong.pk).update(must_change_password=True)
    assert hehong_client.get("/password/").status_code == 200
    assert hehong_client.get("/static/css/app.css").status_code != 302
    assert hehong_client.get("/accounts/otp/setup/").status_code == 200  # not redirected
    assert hehong_client.post("/logout/").status_code == 302
    assert "_auth_user_id" not in hehong_client.session


def test_a_user_added_by_an_administrator_changes_the_password_at_first_login(
    administrator: User, events: list[dict[str, object]]
) -> None:
    admin = Client()
    admin.force_login(administrator)
    response = admin.post(
        "/admin/accounts/user/add/",
        {
            "username": "newstaff",
            "full_name": "新同事",
            "role": "member",
            "password1": "Temp#2026ab",
            "password2": "Temp#2026ab",
            "usable_password": "true",
            "member_profile-TOTAL_FORMS": "0",
            "member_profile-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    newcomer = User.objects.get(username="newstaff")
    assert newcomer.must_change_password
    assert ("user.created", "success") in [(e["action"], e["result"]) for e in events]

    client = Client()
    response = client.post("/login/", {"username": "newstaff", "password": "Temp#2026ab"})
    assert response.status_code == 302
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, "/password/")
    page = client.get("/password/").content.decode()
    assert "您的密码由管理员设置或重置，请先修改密码再继续使用本系统。" in page

    assert change(client, "Temp#2026ab", GOOD).status_code == 302
    newcomer.refresh_from_db()
    assert not newcomer.must_change_password
    assert client.get("/").status_code == 200


def test_the_security_administrators_reset_forces_a_change_and_is_recorded(
    security_administrator: User, hehong: User, events: list[dict[str, object]]
) -> None:
    own = Client()
    own.force_login(hehong)
    assert own.get("/").status_code == 200

    admin = Client()
    admin.force_login(security_administrator)
    response = admin.post(
        f"/admin/accounts/user/{hehong.pk}/password/",
        {"password1": "Reset#2026x", "password2": "Reset#2026x", "usable_password": "true"},
    )
    assert response.status_code == 302
    hehong.refresh_from_db()
    assert hehong.must_change_password and hehong.check_password("Reset#2026x")
    reset = [e for e in events if e["action"] == "password.reset"]
    assert len(reset) == 1
    assert (reset[0]["actor"], reset[0]["target"]) == (security_administrator, f"user:{hehong.pk}")

    # her old session ended with the old password; logging in again, she must change it
    assert own.get("/").status_code == 302
    assert "_auth_user_id" not in own.session
    fresh = Client()
    assert (
        fresh.post("/login/", {"username": "hehong", "password": "Reset#2026x"}).status_code == 302
    )
    assert fresh.get("/items/")["Location"] == "/password/"


def test_a_refused_reset_in_the_admin_changes_nothing(
    security_administrator: User, hehong: User, events: list[dict[str, object]]
) -> None:
    admin = Client()
    admin.force_login(security_administrator)
    response = admin.post(
        f"/admin/accounts/user/{hehong.pk}/password/",
        {"password1": "short", "password2": "short", "usable_password": "true"},
    )
    assert response.status_code == 200
    assert "密码太短：至少需要 8 个字符。" in response.content.decode()
    hehong.refresh_from_db()
    assert not hehong.must_change_password and hehong.check_password(OLD)
    assert events == []


def test_the_security_administrator_setting_his_own_password_is_not_forced(
    security_administrator: User, events: list[dict[str, object]]
) -> None:
    admin = Client()
    admin.force_login(security_administrator)
    response = admin.post(
        f"/admin/accounts/user/{security_administrator.pk}/password/",
        {"password1": "Mine#2026xy", "password2": "Mine#2026xy", "usable_password": "true"},
    )
    assert response.status_code == 302
    security_administrator.refresh_from_db()
    assert not security_administrator.must_change_password
    assert admin.get("/").status_code == 200  # his own session is kept
    actions = [e["action"] for e in events]
    assert "password.changed" in actions and "password.reset" not in actions


def test_the_reset_service_forces_a_change(
    administrator: User, hehong: User, events: list[dict[str, object]]
) -> None:
    password_reset(hehong, "Reset#2026x", by=administrator)
    hehong.refresh_from_db()
    assert hehong.must_change_password
    assert [e["action"] for e in events] == ["password.reset"]


def test_a_user_without_a_password_is_never_sent_to_change_it(db) -> None:  # type: ignore[no-untyped-def]
    """Single sign-on users have no password here to change."""
    user = make_user("sso")
    user.set_unusable_password()
    user.must_change_password = True
    user.save()
    client = Client()
    client.force_login(user)
    assert client.get("/").status_code == 200


def test_the_demo_logins_are_not_forced_to_change(db) -> None:  # type: ignore[no-untyped-def]
    import io

    from django.core.management import call_command

    call_command("seed_demo", "--no-replies", stdout=io.StringIO())
    client = Client()
    response = client.post("/login/", {"username": "hehong", "password": "demo1234"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert not User.objects.filter(must_change_password=True).exists()
