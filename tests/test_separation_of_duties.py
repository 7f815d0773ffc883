"""三员分立: the system, security and audit administrators cannot do each other's work, in the
app's pages and in the Django admin, whatever their groups or superuser flag say."""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, Permission
from django.test import Client, override_settings
from django.urls import reverse

from accounts.checks import no_superusers
from accounts.models import Unit, User
from audit.chain import append
from audit.models import AuditRecord
from proposals.models import Proposal

from .factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(unit) -> User:  # type: ignore[no-untyped-def]
    """An ordinary account the administrators act on."""
    return UserFactory(
        username="clerk", full_name="王小明", role="member", email="w@example.gov.cn"
    )


def user_change_url(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def security_form(user: User, **changes: Any) -> dict[str, Any]:
    """The fields the security administrator's form of a user has (the rest are read-only)."""
    data: dict[str, Any] = {
        "role": user.role,
        "unit": user.unit_id or "",
        "supervisor_scope": user.supervisor_scope,
        "is_staff": "on" if user.is_staff else "",
        "is_active": "on" if user.is_active else "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def system_form(user: User, **changes: Any) -> dict[str, Any]:
    """The fields the system administrator's form of a user has, with the member-profile inline."""
    data: dict[str, Any] = {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "mobile": user.mobile,
        "member_profile-TOTAL_FORMS": "0",
        "member_profile-INITIAL_FORMS": "0",
        "member_profile-MIN_NUM_FORMS": "0",
        "member_profile-MAX_NUM_FORMS": "1",
    }
    data.update(changes)
    return data


# --- the audit administrator ---------------------------------------------------------------------


def test_an_audit_administrator_cannot_edit_a_user(login, audit_administrator, clerk) -> None:  # type: ignore[no-untyped-def]
    client = login(audit_administrator)
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    assert client.get(user_change_url(clerk)).status_code == 403
    response = client.post(user_change_url(clerk), system_form(clerk, full_name="改名"))
    assert response.status_code == 403
    response = client.post(user_change_url(clerk), security_form(clerk, role="administrator"))
    assert response.status_code == 403
    clerk.refresh_from_db()
    assert (clerk.full_name, clerk.role) == ("王小明", "member")
    assert client.get(reverse("admin:accounts_unit_changelist")).status_code == 403


def test_an_audit_administrator_sees_no_items_and_no_business_admin(  # type: ignore[no-untyped-def]
    login, audit_administrator, member, npc_meeting, npc_category
) -> None:
    from proposals import services

    item = services.proposal_create(
        author=member,
        meeting=npc_meeting,
        title="关于加装电梯的建议",
        body="x",
        category=npc_category,
    )
    services.proposal_submit(proposal=item, actor=member)
    assert not Proposal.objects.for_user(audit_administrator).exists()
    client = login(audit_administrator)
    assert client.get(reverse("proposals:detail", args=[item.pk])).status_code == 404
    assert client.get(reverse("admin:proposals_meeting_changelist")).status_code == 403
    index = client.get(reverse("admin:index")).content.decode()
    assert "/admin/audit/auditrecord/" in index
    assert "/admin/accounts/user/" not in index and "/admin/proposals/" not in index


def test_ticking_a_permission_box_does_not_undo_the_split(  # type: ignore[no-untyped-def]
    login, audit_administrator, clerk
) -> None:
    group = Group.objects.create(name="everything")
    group.permissions.set(Permission.objects.all())
    audit_administrator.groups.add(group)
    client = login(audit_administrator)
    assert client.get(user_change_url(clerk)).status_code == 403
    assert client.get(reverse("admin:accounts_unit_add")).status_code == 403


def test_the_audit_administrator_filters_the_trail(login, audit_administrator) -> None:  # type: ignore[no-untyped-def]
    append("login", address="203.0.113.5", target="user:1")
    append("login.failed", address="198.51.100.7", result="failure", detail={"username": "x"})
    append("export.items", address="203.0.113.5")
    client = login(audit_administrator)

    everything = client.get(reverse("audit:list"))
    assert everything.status_code == 200
    page = client.get(reverse("audit:list"), {"result": "failure"}).content.decode()
    assert "198.51.100.7" in page and "203.0.113.5" not in page
    page = client.get(reverse("audit:list"), {"action": "export"}).content.decode()
    assert "export.items" in page and "login.failed" not in page
    page = client.get(reverse("audit:list"), {"address": "203.0.113"}).content.decode()
    assert "export.items" in page and "198.51.100.7" not in page
    page = client.get(reverse("audit:list"), {"actor": "auditor"}).content.decode()
    assert "export.items" not in page  # only the audit administrator's own login


def test_bad_filter_input_gets_a_message_not_an_error(login, audit_administrator) -> None:  # type: ignore[no-untyped-def]
    client = login(audit_administrator)
    response = client.get(
        reverse("audit:list"), {"since": "2026-13-45", "result": "maybe", "page": "x"}
    )
    assert response.status_code == 200
    assert "输入一个有效的日期" in response.content.decode()


def test_the_audit_administrator_exports_and_the_export_is_recorded(  # type: ignore[no-untyped-def]
    login, audit_administrator
) -> None:
    append("login.failed", address="198.51.100.7", result="failure")
    client = login(audit_administrator)

    response = client.get(reverse("audit:export"), {"result": "failure", "format": "csv"})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("序号,时间,账号,地址,操作")
    assert len(lines) == 2 and "198.51.100.7" in lines[1]

    excel = client.get(reverse("audit:export"))
    assert excel.status_code == 200
    assert excel["Content-Type"].startswith("application/vnd.openxmlformats")

    exports = AuditRecord.objects.filter(action="export.audit").order_by("sequence")
    assert [record.detail["format"] for record in exports] == ["csv", "xlsx"]
    assert exports[0].detail["rows"] == 1
    assert exports[0].actor_id == audit_administrator.pk


def test_the_audit_administrator_reads_the_trail_in_the_admin_and_cannot_change_it(  # type: ignore[no-untyped-def]
    login, audit_administrator
) -> None:
    record = append("login", address="203.0.113.5")
    client = login(audit_administrator)
    assert client.get(reverse("admin:audit_auditrecord_changelist")).status_code == 200
    url = reverse("admin:audit_auditrecord_change", args=[record.pk])
    page = client.get(url)
    assert page.status_code == 200 and "203.0.113.5" in page.content.decode()
    client.post(url, {"address": "198.51.100.1"})
    assert AuditRecord.objects.get(pk=record.pk).address == "203.0.113.5"
    assert client.get(reverse("admin:audit_auditrecord_add")).status_code == 403
    delete = reverse("admin:audit_auditrecord_delete", args=[record.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditRecord.objects.filter(pk=record.pk).exists()


# --- the system administrator --------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/audit/", "/audit/export/", "/admin/audit/auditrecord/"])
def test_a_system_administrator_cannot_read_the_audit_trail(login, administrator, url) -> None:  # type: ignore[no-untyped-def]
    append("login", address="203.0.113.5")
    response = login(administrator).get(url)
    assert response.status_code == 403
    assert "203.0.113.5" not in response.content.decode()


def test_the_system_administrator_edits_an_account_but_not_its_rights(  # type: ignore[no-untyped-def]
    login, administrator, clerk, unit
) -> None:
    client = login(administrator)
    form = system_form(clerk, full_name="王晓明", role="administrator", unit=unit.pk, is_staff="on")
    response = client.post(user_change_url(clerk), form)
    assert response.status_code == 302

    clerk.refresh_from_db()
    assert clerk.full_name == "王晓明"
    assert (clerk.role, clerk.unit_id, clerk.is_staff) == ("member", None, False)  # ignored
    record = AuditRecord.objects.get(action="admin.changed")
    assert (record.actor_username, record.target) == ("admin", f"accounts.user:{clerk.pk}")
    assert record.address == "127.0.0.1"
    assert not AuditRecord.objects.filter(action="user.role_changed").exists()


def test_the_system_administrator_cannot_reset_a_password(login, administrator, clerk) -> None:  # type: ignore[no-untyped-def]
    client = login(administrator)
    url = reverse("admin:auth_user_password_change", args=[clerk.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, {"password1": "Neu-Pass-2026!", "password2": "Neu-Pass-2026!"})
    assert response.status_code == 403
    clerk.refresh_from_db()
    assert clerk.check_password("pass-1234")


def test_the_system_administrator_manages_units_and_creates_accounts(  # type: ignore[no-untyped-def]
    login, administrator
) -> None:
    client = login(administrator)
    assert client.get(reverse("admin:accounts_unit_add")).status_code == 200
    assert client.get(reverse("admin:proposals_meeting_changelist")).status_code == 200
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newcomer",
            "full_name": "新同事",
            "password1": "Neu-Pass-2026!",
            "password2": "Neu-Pass-2026!",
            "usable_password": "true",
            "member_profile-TOTAL_FORMS": "0",
            "member_profile-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    newcomer = User.objects.get(username="newcomer")
    assert (newcomer.role, newcomer.is_staff) == ("member", False)
    assert AuditRecord.objects.filter(action="admin.added").exists()
    # the lockouts and the groups are the security administrator's
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403


# --- the security administrator ------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/audit/", "/audit/export/", "/admin/audit/auditrecord/"])
def test_a_security_administrator_cannot_read_the_audit_trail(  # type: ignore[no-untyped-def]
    login, security_administrator, url
) -> None:
    append("login", address="203.0.113.5")
    assert login(security_administrator).get(url).status_code == 403


def test_a_security_administrator_cannot_edit_units(login, security_administrator, unit) -> None:  # type: ignore[no-untyped-def]
    client = login(security_administrator)
    url = reverse("admin:accounts_unit_change", args=[unit.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, {"name": "改名", "short_name": "改名", "is_active": "on"})
    assert response.status_code == 403
    assert Unit.objects.get(pk=unit.pk).name == "杭州市民政局"
    assert client.get(reverse("admin:accounts_unit_add")).status_code == 403
    assert client.get(reverse("admin:proposals_meeting_changelist")).status_code == 403


def test_the_security_administrator_changes_a_role_and_it_is_recorded_old_to_new(  # type: ignore[no-untyped-def]
    login, security_administrator, clerk, unit
) -> None:
    client = login(security_administrator)
    response = client.post(
        user_change_url(clerk),
        security_form(clerk, role="unit_staff", unit=unit.pk, full_name="改名"),
    )
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert (clerk.role, clerk.unit_id, clerk.full_name) == ("unit_staff", unit.pk, "王小明")
    record = AuditRecord.objects.get(action="user.role_changed")
    assert record.detail == {"role": ["member", "unit_staff"], "unit": ["", "杭州市民政局"]}
    assert (record.actor_username, record.target) == ("security", f"user:{clerk.pk}")


def test_the_security_administrator_locks_and_unlocks_an_account(  # type: ignore[no-untyped-def]
    login, security_administrator, clerk
) -> None:
    client = login(security_administrator)
    form = security_form(clerk)
    form.pop("is_active")
    assert client.post(user_change_url(clerk), form).status_code == 302
    clerk.refresh_from_db()
    assert not clerk.is_active
    assert AuditRecord.objects.filter(action="user.deactivated").exists()
    assert (
        client.post(user_change_url(clerk), security_form(clerk, is_active="on")).status_code == 302
    )
    clerk.refresh_from_db()
    assert clerk.is_active
    assert AuditRecord.objects.filter(action="user.activated").exists()


def test_the_security_administrator_cannot_change_their_own_role(  # type: ignore[no-untyped-def]
    login, security_administrator
) -> None:
    client = login(security_administrator)
    response = client.post(
        user_change_url(security_administrator),
        security_form(security_administrator, role="administrator"),
    )
    assert response.status_code == 302
    security_administrator.refresh_from_db()
    assert security_administrator.role == "security_admin"


def test_the_security_administrator_resets_a_password_and_it_is_recorded(  # type: ignore[no-untyped-def]
    login, security_administrator, clerk
) -> None:
    client = login(security_administrator)
    url = reverse("admin:auth_user_password_change", args=[clerk.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"password1": "Neu-Pass-2026!", "password2": "Neu-Pass-2026!", "usable_password": "true"},
    )
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.check_password("Neu-Pass-2026!")
    assert AuditRecord.objects.filter(action="password.reset", target=f"user:{clerk.pk}").exists()


def test_the_security_administrator_unlocks_a_lockout_and_cannot_add_users(  # type: ignore[no-untyped-def]
    login, security_administrator, clerk
) -> None:
    attempt = AccessAttempt.objects.create(
        username="clerk", ip_address="203.0.113.7", failures_since_start=5, user_agent="x"
    )
    client = login(security_administrator)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200
    url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not AccessAttempt.objects.exists()
    assert AuditRecord.objects.filter(action="admin.deleted").exists()
    assert client.get(reverse("admin:accounts_user_add")).status_code == 403
    assert not Proposal.objects.for_user(security_administrator).exists()


# --- nobody holds all three ----------------------------------------------------------------------


def test_a_superuser_flag_gives_nothing(login) -> None:  # type: ignore[no-untyped-def]
    UserFactory(username="root", role="member", is_staff=True, is_superuser=True)
    root = User.objects.get(username="root")
    client = login(root)
    assert not root.is_administrator
    for url in ("/admin/accounts/user/", "/admin/audit/auditrecord/", "/admin/accounts/unit/"):
        assert client.get(url).status_code == 403, url
    assert client.get("/audit/").status_code == 403
    # a system administrator with the flag still cannot read the trail nor reset a password
    User.objects.filter(pk=root.pk).update(role="administrator")
    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.get("/admin/audit/auditrecord/").status_code == 403
    url = reverse("admin:auth_user_password_change", args=[root.pk])
    assert client.get(url).status_code == 403


def test_production_refuses_superuser_accounts() -> None:
    UserFactory(username="root", role="administrator", is_staff=True, is_superuser=True)
    assert no_superusers(databases=["default"]) == []  # not in production
    with override_settings(REFUSE_SUPERUSERS=True):
        errors = no_superusers(databases=["default"])
        assert [error.id for error in errors] == ["accounts.E002"]
        assert "root" in errors[0].msg
        User.objects.filter(username="root").update(is_superuser=False)
        assert no_superusers(databases=["default"]) == []


def test_each_administrator_sees_only_their_own_part_of_the_admin_index(  # type: ignore[no-untyped-def]
    login, administrator, security_administrator, audit_administrator
) -> None:
    def sections(user: User) -> set[str]:
        page = Client()
        page.force_login(user)
        html = page.get(reverse("admin:index")).content.decode()
        return {
            part.split("/")[0]
            for part in html.split('href="/admin/')[1:]
            if "/" in part.split('"')[0] and not part.startswith(("logout", "password"))
        }

    assert "audit" not in sections(administrator) and "axes" not in sections(administrator)
    assert sections(security_administrator) == {"accounts", "auth", "axes"}
    assert sections(audit_administrator) == {"audit"}


def test_the_demo_has_three_administrators_and_no_superuser() -> None:
    from django.core.management import call_command

    call_command("seed_demo", "--no-replies", verbosity=0)
    roles = dict(
        User.objects.filter(username__in=["admin", "security", "auditor"]).values_list(
            "username", "role"
        )
    )
    assert roles == {
        "admin": "administrator",
        "security": "security_admin",
        "auditor": "audit_admin",
    }
    assert not User.objects.filter(is_superuser=True).exists()


# --- the audit pages, walked as every role -------------------------------------------------------

AUDIT_URLS = [
    "/audit/",
    "/audit/?result=failure&page=2",
    "/audit/export/",
    "/audit/export/?format=csv",
]
ROLE_FIXTURES = [
    "member",
    "unit_staff",
    "unit_leader",
    "npc_supervisor",
    "administrator",
    "security_administrator",
    "audit_administrator",
]


@pytest.mark.parametrize("url", AUDIT_URLS)
@pytest.mark.parametrize("role", ["anonymous", *ROLE_FIXTURES])
def test_only_the_audit_administrator_opens_the_audit_pages(  # type: ignore[no-untyped-def]
    request, url: str, role: str
) -> None:
    client = Client()
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    response = client.get(url)
    expected = {"anonymous": 302, "audit_administrator": 200}.get(role, 403)
    assert response.status_code == expected, (role, url)


@pytest.mark.parametrize("role", ["security_administrator", "audit_administrator"])
def test_the_security_and_audit_administrators_have_a_home_without_items(  # type: ignore[no-untyped-def]
    request, role: str
) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(role))
    home = client.get("/")
    assert home.status_code == 200
    html = home.content.decode()
    assert "/items/" not in html
    link = "/audit/" if role == "audit_administrator" else "/admin/accounts/user/"
    assert link in html
    assert client.get("/items/").status_code in (200, 403)


def test_create_administrator_makes_one_of_the_three_and_records_it(  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.core.management import CommandError, call_command

    monkeypatch.setenv("DJANGO_NEW_PASSWORD", "Shen-Ji-2026!x")
    call_command("create_administrator", "shenji", "--role", "audit_admin", stdout=None)
    created = User.objects.get(username="shenji")
    assert (created.role, created.is_staff, created.is_superuser) == ("audit_admin", True, False)
    assert created.check_password("Shen-Ji-2026!x")
    assert AuditRecord.objects.filter(action="user.created", target=f"user:{created.pk}").exists()

    monkeypatch.setenv("DJANGO_NEW_PASSWORD", "123")
    with pytest.raises(CommandError):
        call_command("create_administrator", "weak", "--role", "administrator")
    assert not User.objects.filter(username="weak").exists()
    with pytest.raises(CommandError, match="exists"):
        call_command("create_administrator", "shenji", "--role", "security_admin")
