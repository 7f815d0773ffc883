"""Password policy (等级保护 identity checks): strength, history, expiry and forced changes.

- The validators below are Django password validators (AUTH_PASSWORD_VALIDATORS): every form
  that sets a password (the user's own change, the admin's add and reset forms) runs them, and
  their Chinese help texts are shown under the new-password field.
- PasswordHistoryValidator.password_changed is Django's hook after a password is saved: it keeps
  the hash (never the password) of the last PASSWORD_HISTORY_COUNT passwords and stamps
  User.password_changed_at, from which PASSWORD_MAX_AGE_DAYS counts.
- PasswordPolicyMiddleware sends a user whose password must change (set by an administrator) or
  has expired to the password change page before anything else.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.hashers import check_password
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import PasswordHistory, User
from .signals import security_event_send

# Passwords that pass the length and character-class rules and still head every leaked-password
# list in China; Django's CommonPasswordValidator list (20 000 entries, mostly English) is
# checked as well.
EXTRA_COMMON_PASSWORDS = frozenset(
    {
        "aa123456",
        "aa123456.",
        "aa123456!",
        "abc@1234",
        "abc@123456",
        "abc123456",
        "abcd@1234",
        "admin123",
        "admin@123",
        "admin@1234",
        "admin123456",
        "p@ssw0rd",
        "p@ssword1",
        "passw0rd!",
        "password1",
        "password123",
        "password@123",
        "qwer1234",
        "qwer@1234",
        "qwe@1234",
        "qwe123!@#",
        "1qaz2wsx",
        "1qaz@wsx",
        "1qaz!qaz",
        "woaini1314",
        "zxcv1234",
        "asdf1234",
    }
)

SYMBOLS = frozenset(string.punctuation + " ")


def character_classes(password: str) -> int:
    """How many of upper case, lower case, digits and symbols the password has. Letters without
    case (Chinese characters) count as symbols: they are as hard to guess as punctuation."""
    has_upper = any(c.isupper() for c in password)
    has_lower = any(c.islower() for c in password)
    has_digit = any(c.isdigit() for c in password)
    has_symbol = any(
        c in SYMBOLS or not (c.isupper() or c.islower() or c.isdigit()) for c in password
    )
    return sum((has_upper, has_lower, has_digit, has_symbol))


class MinimumLengthValidator:
    """At least PASSWORD_MIN_LENGTH characters."""

    def __init__(self, min_length: int = 8) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                _("密码太短：至少需要 %(min_length)d 个字符。"),
                code="password_too_short",
                params={"min_length": self.min_length},
            )

    def get_help_text(self) -> str:
        return _("至少 %(min_length)d 个字符。") % {"min_length": self.min_length}


class CharacterClassesValidator:
    """At least PASSWORD_MIN_CHARACTER_CLASSES of upper case, lower case, digits and symbols."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                _("密码须包含大写字母、小写字母、数字和符号中的至少 %(min_classes)d 类。"),
                code="password_too_few_character_classes",
                params={"min_classes": self.min_classes},
            )

    def get_help_text(self) -> str:
        return _("包含大写字母、小写字母、数字和符号中的至少 %(min_classes)d 类。") % {
            "min_classes": self.min_classes
        }


class UsernameValidator:
    """Not the username, nor the username with a few characters around it (case ignored,
    also reversed): those are the first guesses of anyone who knows the login."""

    def validate(self, password: str, user: Any = None) -> None:
        username = str(getattr(user, "username", "") or "").lower()
        if not username:
            return
        lowered = password.lower()
        # a name of one or two letters is in too many good passwords to refuse them all
        contains = len(username) >= 3 and (username in lowered or username[::-1] in lowered)
        if lowered == username or contains:
            raise ValidationError(
                _("密码不能是用户名，也不能包含用户名。"), code="password_contains_username"
            )

    def get_help_text(self) -> str:
        return _("不能是用户名或包含用户名。")


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    """Not one of the 20 000 most common passwords (Django's list) or the common ones above."""

    def validate(self, password: str, user: Any = None) -> None:
        lowered = password.lower().strip()
        if lowered in self.passwords or lowered in EXTRA_COMMON_PASSWORDS:
            raise ValidationError(
                _("这个密码太常见，容易被猜到，请换一个。"), code="password_too_common"
            )

    def get_help_text(self) -> str:
        return _("不能是常见密码（如 12345678）。")


class PasswordHistoryValidator:
    """Not one of the last PASSWORD_HISTORY_COUNT passwords (the current one included), and the
    keeper of that history: Django calls `password_changed` after every saved new password."""

    def __init__(self, history_count: int = 5) -> None:
        self.history_count = history_count

    def validate(self, password: str, user: Any = None) -> None:
        if self.history_count <= 0 or user is None or getattr(user, "pk", None) is None:
            return
        hashes = recent_hashes(user, self.history_count)
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(
                ngettext(
                    "新密码不能与最近使用过的密码相同。",
                    "新密码不能与最近 %(count)d 次使用过的密码相同。",
                    self.history_count,
                )
                % {"count": self.history_count},
                code="password_reused",
            )

    def get_help_text(self) -> str:
        if self.history_count <= 0:
            return ""
        return _("不能与最近 %(count)d 次使用过的密码相同。") % {"count": self.history_count}

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is not None and getattr(user, "pk", None) is not None:
            record_password_change(user, keep=self.history_count)


def history_count() -> int:
    return int(getattr(settings, "PASSWORD_HISTORY_COUNT", 5))


def recent_hashes(user: User, count: int) -> list[str]:
    """The hashes of the user's last `count` passwords, newest first; the current one is always
    among them (also for users whose history began before this policy)."""
    hashes = list(
        PasswordHistory.objects.filter(user=user)
        .order_by("-created_at", "-pk")
        .values_list("password", flat=True)[:count]
    )
    current = User.objects.filter(pk=user.pk).values_list("password", flat=True).first()
    if current and current not in hashes:
        hashes = [current, *hashes][:count]
    return [encoded for encoded in hashes if encoded]


def record_password_change(user: User, *, keep: int | None = None) -> None:
    """After a new password was saved: stamp password_changed_at, remember the hash, and forget
    hashes older than the last `keep` (PASSWORD_HISTORY_COUNT)."""
    keep = history_count() if keep is None else keep
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(password_changed_at=now)
    user.password_changed_at = now
    if keep <= 0 or not user.has_usable_password():
        return
    PasswordHistory.objects.create(user=user, password=user.password, created_at=now)
    stale = PasswordHistory.objects.filter(user=user).order_by("-created_at", "-pk")[keep:]
    stale_ids = list(stale.values_list("pk", flat=True))
    if stale_ids:
        PasswordHistory.objects.filter(pk__in=stale_ids).delete()


def max_age() -> timedelta | None:
    days = int(getattr(settings, "PASSWORD_MAX_AGE_DAYS", 90))
    return timedelta(days=days) if days > 0 else None


def password_expired(user: User) -> bool:
    """True when the password is older than PASSWORD_MAX_AGE_DAYS (never when that is 0)."""
    limit = max_age()
    if limit is None or user.password_changed_at is None:
        return False
    return timezone.now() - user.password_changed_at >= limit


def password_change_reason(user: Any) -> str:
    """Why this user must change the password before anything else: "forced" (set by an
    administrator), "expired", or "" (nothing to do; also for a user without a password, who
    logs in another way)."""
    if not getattr(user, "is_authenticated", False) or not user.has_usable_password():
        return ""
    if user.must_change_password:
        return "forced"
    if password_expired(user):
        return "expired"
    return ""


def password_set_by_administrator(
    user: User,
    *,
    by: User | None,
    request: HttpRequest | None = None,
    action: str = "password.reset",
) -> None:
    """After someone other than the user set the user's password (the admin's add or reset
    form, the service below): the user must change it at the next login. Setting one's own
    password through the admin is a change, not a reset."""
    if by is not None and by.pk == user.pk:
        User.objects.filter(pk=user.pk).update(must_change_password=False)
        user.must_change_password = False
        security_event_send("password.changed", actor=by, target=f"user:{user.pk}", request=request)
        return
    forced = user.has_usable_password()
    User.objects.filter(pk=user.pk).update(must_change_password=forced)
    user.must_change_password = forced
    security_event_send(
        action,
        actor=by,
        target=f"user:{user.pk}",
        detail={"must_change": forced},
        request=request,
    )


@transaction.atomic
def password_reset(
    user: User, raw_password: str, *, by: User | None, request: HttpRequest | None = None
) -> None:
    """An administrator (or a command, `by=None`) sets another person's password: it is
    checked against the policy and must be changed at the next login."""
    password_validation.validate_password(raw_password, user)
    user.set_password(raw_password)
    user.save()
    password_set_by_administrator(user, by=by, request=request)


class PolicyPasswordChangeView(PasswordChangeView):
    """Django's password change, saying why a change is required and clearing the forced-change
    flag when it is done. Django keeps this session (update_session_auth_hash); every other
    session of the user ends because its stored hash no longer matches the password's."""

    template_name = "accounts/password_change.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["change_reason"] = password_change_reason(self.request.user)
        context["password_max_age_days"] = int(getattr(settings, "PASSWORD_MAX_AGE_DAYS", 90))
        return context

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        user = self.request.user
        assert isinstance(user, User)
        reason = password_change_reason(user)
        user.must_change_password = False  # saved with the new password by form.save()
        response = super().form_valid(form)
        security_event_send(
            "password.changed",
            actor=user,
            target=f"user:{user.pk}",
            detail={"reason": reason} if reason else {},
            request=self.request,
        )
        messages.success(self.request, _("密码已修改。您在其他设备上的登录已失效。"))
        return response


def exempt_from_password_change(path: str) -> bool:
    """Pages a user with a password to change may still open: logging in and out, the change
    itself, the second factor (which comes first, /accounts/otp/), static files."""
    prefixes = [
        reverse("accounts:login"),
        reverse("accounts:logout"),
        reverse("accounts:password_change"),
        reverse("accounts:password_changed"),
        # the second factor's pages (another module), wherever accounts' URLs are mounted
        "/accounts/otp/",
        "/otp/",
        str(settings.STATIC_URL or "/static/"),
        "/favicon.ico",
        "/admin/logout/",
    ]
    return any(path.startswith(prefix) for prefix in prefixes)


class PasswordPolicyMiddleware:
    """A user whose password was set by an administrator or has expired sees only the password
    change page (after AuthenticationMiddleware and MessageMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not exempt_from_password_change(request.path_info)
        ):
            reason = password_change_reason(user)
            if reason:
                return self.redirect(request, user, reason)
        return self.get_response(request)

    def redirect(self, request: HttpRequest, user: User, reason: str) -> HttpResponse:
        # the audit trail hears of it once per session, not at every page the user tries
        if reason == "expired" and not request.session.get("_password_expired_noted"):
            request.session["_password_expired_noted"] = True
            security_event_send(
                "password.expired_forced",
                actor=user,
                target=f"user:{user.pk}",
                detail={"changed_at": str(user.password_changed_at)},
                request=request,
            )
        return HttpResponseRedirect(reverse("accounts:password_change"))
