"""Shared fixtures: one user per role, an open meeting of each body, a category."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from proposals.models import Category, Meeting

from .factories import CategoryFactory, MeetingFactory, MemberFactory, UnitFactory, UserFactory


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="session", autouse=True)
def _letter_fonts() -> None:
    """The reduced letter fonts (replies/fonts.py), built before the first test: about 30 s
    once per checkout, then only checked. A test that starts a worker or renders a letter must
    not spend its own time limit on building them."""
    from replies.letters import prepare_fonts

    prepare_fonts()


@pytest.fixture
def npc_meeting(db) -> Meeting:  # type: ignore[no-untyped-def]
    return MeetingFactory(body="npc", term=14, sitting=3, number_format="{prefix}{number}号")


@pytest.fixture
def cppcc_meeting(db) -> Meeting:  # type: ignore[no-untyped-def]
    return MeetingFactory(
        body="cppcc",
        term=7,
        sitting=3,
        name="政协测试市第七届委员会第三次会议",
        short_name="市政协七届三次会议",
    )


@pytest.fixture
def npc_category(db) -> Category:  # type: ignore[no-untyped-def]
    return CategoryFactory(body="npc", name="民政")


@pytest.fixture
def cppcc_category(db) -> Category:  # type: ignore[no-untyped-def]
    return CategoryFactory(body="cppcc", name="社会事业")


@pytest.fixture
def member(db) -> User:  # type: ignore[no-untyped-def]
    return MemberFactory(username="hehong", full_name="何红", profile__number_prefix="萧山")


@pytest.fixture
def other_member(db) -> User:  # type: ignore[no-untyped-def]
    return MemberFactory(
        username="wangjianguo", full_name="王建国", profile__delegation="上城代表团"
    )


@pytest.fixture
def third_member(db) -> User:  # type: ignore[no-untyped-def]
    return MemberFactory(username="chenmin", full_name="陈敏")


@pytest.fixture
def cppcc_member(db) -> User:  # type: ignore[no-untyped-def]
    return MemberFactory(
        username="liuanze",
        full_name="刘安泽",
        profile__body="cppcc",
        profile__submitter_type="cppcc_member",
        profile__delegation="",
        profile__number_prefix="",
    )


@pytest.fixture
def unit(db):  # type: ignore[no-untyped-def]
    return UnitFactory(name="杭州市民政局", short_name="市民政局")


@pytest.fixture
def unit_staff(unit) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(username="staff", full_name="李文静", role="unit_staff", unit=unit)


@pytest.fixture
def unit_leader(unit) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(username="leader", full_name="周建华", role="unit_leader", unit=unit)


@pytest.fixture
def npc_supervisor(db) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(
        username="npc_office", full_name="人大代表工委", role="supervisor", supervisor_scope="npc"
    )


@pytest.fixture
def cppcc_supervisor(db) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(
        username="cppcc_office", full_name="政协提案委", role="supervisor", supervisor_scope="cppcc"
    )


@pytest.fixture
def administrator(db) -> User:  # type: ignore[no-untyped-def]
    """The system administrator (三员分立: not a superuser; the role decides, accounts/separation.py)."""
    return UserFactory(username="admin", full_name="管理员", role="administrator", is_staff=True)


@pytest.fixture
def security_administrator(db) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(
        username="security", full_name="安全管理员", role="security_admin", is_staff=True
    )


@pytest.fixture
def audit_administrator(db) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(
        username="auditor", full_name="审计管理员", role="audit_admin", is_staff=True
    )


@pytest.fixture
def login(client: Client):  # type: ignore[no-untyped-def]
    def _login(user: User) -> Client:
        client.force_login(user)
        return client

    return _login
