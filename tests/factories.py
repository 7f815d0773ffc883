"""factory_boy factories for the domain; users of each role come from conftest fixtures."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import MemberProfile, Unit, User
from proposals.models import Category, Meeting, Proposal


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试市第{n}局")
    short_name = factory.Sequence(lambda n: f"第{n}局")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    role = "member"
    password = factory.PostGenerationMethodCall("set_password", "pass-1234")

    @factory.post_generation
    def save_password(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


class MemberFactory(UserFactory):
    role = "member"
    profile = factory.RelatedFactory(
        "tests.factories.MemberProfileFactory", factory_related_name="user"
    )


class MemberProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MemberProfile

    user = factory.SubFactory(UserFactory)
    body = "npc"
    submitter_type = "deputy"
    delegation = "萧山代表团"
    number_prefix = "萧山"
    phone = factory.Sequence(lambda n: f"1380000{n:04d}")


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    body = "npc"
    term = 14
    sitting = factory.Sequence(lambda n: n + 1)
    year = 2026
    name = factory.LazyAttribute(lambda m: f"测试市第{m.term}届人民代表大会第{m.sitting}次会议")
    short_name = factory.LazyAttribute(lambda m: f"市{m.term}届人大{m.sitting}次会议")
    session_starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=10))
    session_ends_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=6))
    submission_opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=20))
    submission_closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    number_format = "第{number}号"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    body = "npc"
    name = factory.Sequence(lambda n: f"类别{n}")


class ProposalFactory(factory.django.DjangoModelFactory):
    """A draft; tests move it through the services, never by setting status by hand,
    unless a test says why."""

    class Meta:
        model = Proposal

    meeting = factory.SubFactory(MeetingFactory)
    kind = factory.LazyAttribute(lambda p: p.meeting.item_kind)
    title = factory.Sequence(lambda n: f"关于测试事项{n}的建议")
    body = "建议内容。" * 10
    category = factory.SubFactory(CategoryFactory, body=factory.SelfAttribute("..meeting.body"))
    lead = factory.SubFactory(MemberFactory)
