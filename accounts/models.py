"""Users, roles, handling units and member profiles."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .document_numbers import validate_document_number_format


class Body(models.TextChoices):
    """The two bodies whose members submit items."""

    NPC = "npc", _("人大")
    CPPCC = "cppcc", _("政协")


class Role(models.TextChoices):
    MEMBER = "member", _("代表/委员")
    UNIT_STAFF = "unit_staff", _("承办员")
    UNIT_LEADER = "unit_leader", _("承办单位负责人")
    SUPERVISOR = "supervisor", _("督办")
    ADMINISTRATOR = "administrator", _("系统管理员")
    # 三员分立 (GB/T 22239-2019): the system administrator (above) keeps users, units, meetings
    # and calendars; the security administrator roles, password policy, unlocks and second-factor
    # resets; the audit administrator reads the audit trail and nothing else.
    SECURITY_ADMINISTRATOR = "security_admin", _("安全管理员")
    AUDIT_ADMINISTRATOR = "audit_admin", _("审计管理员")


class SupervisorScope(models.TextChoices):
    NPC = "npc", _("人大")
    CPPCC = "cppcc", _("政协")
    ALL = "all", _("人大和政协")


class LetterContactStyle(models.TextChoices):
    """How a unit's letters name the person to contact, after the date."""

    CONTACT = "contact", _("（联系人：某某，联系电话：……）")
    HANDLER = "handler", _("承办人：某某 / 联系电话：……（分两行）")


class Unit(models.Model):
    """A handling unit (承办单位) such as 杭州市民政局."""

    name = models.CharField(_("单位全称"), max_length=100, unique=True)
    short_name = models.CharField(
        _("简称"), max_length=40, help_text=_("用于列表和文号，如：市民政局")
    )
    document_prefix = models.CharField(
        _("文号前缀"), max_length=20, blank=True, help_text=_("如：株民复字")
    )
    document_number_format = models.CharField(
        _("文号格式"),
        max_length=60,
        blank=True,
        validators=[validate_document_number_format],
        help_text=_(
            "{year} 为年份，{n} 为序号，如：株民复字〔{year}〕{n}号、厦市政园林〔{year}〕函字{n}号；"
            "序号补足三位写作 {n:03}。不填时为：文号前缀〔年份〕序号号。"
        ),
    )
    contact_person = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    # the optional lines a unit prints after the date of its letters (replies.letter_parts)
    letter_lead_person = models.CharField(
        _("承办负责人"),
        max_length=40,
        blank=True,
        help_text=_("填写后，答复函在日期之后印“承办负责人：姓名”；不填则不印。"),
    )
    letter_contact_style = models.CharField(
        _("联系人的印法"),
        max_length=10,
        choices=LetterContactStyle.choices,
        default=LetterContactStyle.CONTACT,
    )
    letter_reviewer = models.CharField(
        _("审核人"),
        max_length=40,
        blank=True,
        help_text=_("填写后，答复函在日期之后印“审核人：姓名”；不填则不印。"),
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    # the unit's duties as in its 三定 plan: what 智能交办 matches an item's title against
    # (proposals.suggestions); empty: the shipped duties of the unit's type, found by its name
    duties = models.TextField(
        _("职责"),
        blank=True,
        help_text=_(
            "按本单位“三定”方案填写主要职责，用于智能交办推荐承办单位。"
            "不填时按单位名称使用系统内置的同类单位职责（如“某某市民政局”用“民政局”的职责）。"
        ),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("承办单位")
        verbose_name_plural = _("承办单位")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """One login. `role` decides what the person may do; the rules live in permissions.py."""

    full_name = models.CharField(_("姓名"), max_length=60)
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所属单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    supervisor_scope = models.CharField(
        _("督办范围"), max_length=10, choices=SupervisorScope.choices, blank=True
    )
    mobile = models.CharField(_("手机（短信提醒）"), max_length=20, blank=True)
    # the person's own choices that pages remember, e.g. {"export_columns": {"items": [...]}}
    # (proposals.exports); written only through the services that own each key
    preferences = models.JSONField(_("个人偏好"), default=dict, blank=True)
    # password policy (accounts/passwords.py): when the password was last set, by anyone (stamped
    # by PasswordHistoryValidator.password_changed; expiry counts from it), and whether it was set
    # by someone else (an administrator's add or reset) and so must be changed at the next login
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    must_change_password = models.BooleanField(
        _("下次登录须修改密码"),
        default=False,
        help_text=_("由管理员设置或重置密码后，用户登录后须先修改密码。"),
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                name="unit_roles_have_unit",
                condition=~Q(role__in=["unit_staff", "unit_leader"]) | Q(unit__isnull=False),
                violation_error_message=_("承办员和承办单位负责人必须属于一个单位。"),
            ),
            models.CheckConstraint(
                name="supervisor_has_scope",
                condition=~Q(role="supervisor") | ~Q(supervisor_scope=""),
                violation_error_message=_("督办人员必须设定督办范围。"),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    @property
    def is_member(self) -> bool:
        return self.role == Role.MEMBER

    @property
    def is_unit_user(self) -> bool:
        return self.role in (Role.UNIT_STAFF, Role.UNIT_LEADER)

    @property
    def is_unit_leader(self) -> bool:
        return self.role == Role.UNIT_LEADER

    @property
    def is_supervisor(self) -> bool:
        return self.role == Role.SUPERVISOR

    @property
    def is_administrator(self) -> bool:
        # the role only: a superuser flag gives no rights (三员分立, accounts/separation.py)
        return self.role == Role.ADMINISTRATOR

    @property
    def is_security_administrator(self) -> bool:
        return self.role == Role.SECURITY_ADMINISTRATOR

    @property
    def is_audit_administrator(self) -> bool:
        return self.role == Role.AUDIT_ADMINISTRATOR

    def supervised_bodies(self) -> list[str]:
        """Bodies whose items this supervisor may review; empty for anyone else."""
        if self.role != Role.SUPERVISOR:
            return []
        if self.supervisor_scope == SupervisorScope.ALL:
            return [Body.NPC, Body.CPPCC]
        return [self.supervisor_scope] if self.supervisor_scope else []


class SubmitterType(models.TextChoices):
    DEPUTY = "deputy", _("人大代表")
    CPPCC_MEMBER = "cppcc_member", _("政协委员")
    DELEGATION = "delegation", _("代表团")
    PARTY = "party", _("党派")
    SECTOR = "sector", _("界别")


# People who sign in their own name; the others (代表团, 党派, 界别) are collective submitters, who
# lead items of their own but do not co-sign a member's item.
INDIVIDUAL_SUBMITTER_TYPES = (SubmitterType.DEPUTY, SubmitterType.CPPCC_MEMBER)


class MemberProfile(models.Model):
    """What a member (or a collective submitter) brings: body, delegation or sector, contacts.

    Phone and address are private: shown to the supervisory office and the units handling the
    member's items, never on anything public.
    """

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="member_profile", verbose_name=_("用户")
    )
    body = models.CharField(_("所属"), max_length=10, choices=Body.choices)
    submitter_type = models.CharField(_("提出者类型"), max_length=20, choices=SubmitterType.choices)
    delegation = models.CharField(
        _("代表团"), max_length=60, blank=True, help_text=_("人大代表所在代表团，如：萧山代表团")
    )
    number_prefix = models.CharField(
        _("编号前缀"), max_length=20, blank=True, help_text=_("按代表团编号时使用，如：萧山")
    )
    sector = models.CharField(_("界别"), max_length=60, blank=True)
    phone = models.CharField(_("手机"), max_length=40, blank=True)
    address = models.CharField(_("通讯地址"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("代表/委员资料")
        verbose_name_plural = _("代表/委员资料")
        indexes = [models.Index(fields=["body", "submitter_type"])]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_body_display()})"

    @property
    def is_collective(self) -> bool:
        return self.submitter_type in (
            SubmitterType.DELEGATION,
            SubmitterType.PARTY,
            SubmitterType.SECTOR,
        )

    @property
    def title(self) -> str:
        """The honorific used in salutations: 代表 for the 人大, 委员 for the 政协."""
        if self.is_collective:
            return ""
        return str(_("代表")) if self.body == Body.NPC else str(_("委员"))


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    SKIPPED = "skipped", _("无邮箱")


class Notification(models.Model):
    """An in-app notice to one person, mirrored by e-mail through a background job."""

    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("接收人")
    )
    message = models.CharField(_("内容"), max_length=300)
    url = models.CharField(_("链接"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    email_status = models.CharField(
        _("邮件"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    email_attempts = models.PositiveSmallIntegerField(_("邮件尝试次数"), default=0)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["email_status", "created_at"]),
        ]

    def __str__(self) -> str:
        return self.message


class PasswordHistory(models.Model):
    """The hash of a password a user has had (never the password itself): the last
    PASSWORD_HISTORY_COUNT of them may not be chosen again (accounts/passwords.py)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="password_history", verbose_name=_("用户")
    )
    password = models.CharField(_("密码哈希"), max_length=128)
    created_at = models.DateTimeField(_("设置时间"), default=timezone.now)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.created_at:%Y-%m-%d %H:%M}"


class PersonalTokenState(models.TextChoices):
    ACTIVE = "active", _("有效")
    EXPIRED = "expired", _("已过期")
    REVOKED = "revoked", _("已撤销")


class PersonalTokenQuerySet(models.QuerySet["PersonalToken"]):
    def for_user(self, user: User) -> PersonalTokenQuerySet:
        """The user's own tokens: nobody sees another's on the site (the security administrator
        does, in the admin)."""
        return self.filter(user=user)

    def usable(self, now: datetime | None = None) -> PersonalTokenQuerySet:
        """Neither revoked nor expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())

    def purgeable(self, before: datetime) -> PersonalTokenQuerySet:
        """Expired or revoked before this moment."""
        return self.filter(Q(expires_at__lt=before) | Q(revoked_at__lt=before))


class PersonalToken(models.Model):
    """A personal API token (个人 API 令牌, accounts/api_tokens.py): the owner creates it on the
    site, sees the secret once, and sends it as `Authorization: Bearer jy_…`. Only the SHA-256
    of the whole token string is kept; `key_prefix` (its first characters after "jy_") tells
    the tokens apart in lists."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="personal_tokens", verbose_name=_("用户")
    )
    name = models.CharField(_("名称"), max_length=60)
    key_prefix = models.CharField(_("令牌前缀"), max_length=8)
    key_hash = models.CharField(_("令牌哈希"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("到期时间"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("撤销人"),
    )

    objects = PersonalTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            # the daily purge
            models.Index(fields=["expires_at"]),
            models.Index(fields=["revoked_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} (jy_{self.key_prefix}…)"

    @property
    def display_prefix(self) -> str:
        return f"jy_{self.key_prefix}…"

    def state_at(self, now: datetime | None = None) -> PersonalTokenState:
        if self.revoked_at is not None:
            return PersonalTokenState.REVOKED
        if self.expires_at <= (now or timezone.now()):
            return PersonalTokenState.EXPIRED
        return PersonalTokenState.ACTIVE

    @property
    def state(self) -> PersonalTokenState:
        return self.state_at()
