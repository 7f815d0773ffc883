"""The second factor (两步验证): a TOTP authenticator app plus ten single-use recovery codes.

django-otp keeps the devices (`otp_totp.TOTPDevice`, `otp_static.StaticDevice` for the recovery
codes), throttles wrong codes (OTP_TOTP_THROTTLE_FACTOR / OTP_STATIC_THROTTLE_FACTOR: after n
failures the next try waits factor·2ⁿ⁻¹ seconds) and marks a session verified
(`django_otp.login`, read back by its OTPMiddleware). This module decides who must use it
(`OTP_REQUIRED_ROLES`), does every write (services below) and keeps an unverified session out
of every page (`TwoFactorMiddleware`).
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core import checks
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Role, User
from .signals import security_event_send

RECOVERY_CODE_COUNT = 10
# the session remembers, from the login on, whether the user had a confirmed device: the
# middleware then needs no query on each request (pages have pinned query counts)
HAS_DEVICE_SESSION_KEY = "two_factor_has_device"
TOTP_CODE = re.compile(r"^[0-9]{6}$")
RECOVERY_CODE = re.compile(r"^[a-z2-7]{8}$")


# --- who must use it ----------------------------------------------------------------------------


def otp_required_for(user: User) -> bool:
    """True if the user's role must use a second factor (setting OTP_REQUIRED_ROLES)."""
    return user.role in settings.OTP_REQUIRED_ROLES


def totp_device_for(user: User, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def recovery_device_for(user: User) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_second_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_verified(request: HttpRequest) -> bool:
    """The session passed the second factor (django-otp's OTPMiddleware sets is_verified)."""
    check: Callable[[], bool] | None = getattr(request.user, "is_verified", None)
    return bool(check and check())


def must_verify(request: HttpRequest) -> bool:
    """True while this authenticated session must still pass the second factor: its user has a
    device, or a role that requires one (the verify page then sends to the setup page)."""
    user: User = request.user  # type: ignore[assignment]
    if not user.is_authenticated or is_verified(request):
        return False
    if HAS_DEVICE_SESSION_KEY not in request.session:
        # a session from before this check existed (no login since): ask the database once
        request.session[HAS_DEVICE_SESSION_KEY] = has_second_factor(user)
    return bool(request.session[HAS_DEVICE_SESSION_KEY]) or otp_required_for(user)


@receiver(user_logged_in, dispatch_uid="two_factor_remember_device")
def remember_device_at_login(
    sender: Any, request: HttpRequest | None, user: User, **_: Any
) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[HAS_DEVICE_SESSION_KEY] = has_second_factor(user)


def check_required_roles(**_: Any) -> list[checks.CheckMessage]:
    """OTP_REQUIRED_ROLES names roles that exist: a typo would quietly require nothing."""
    unknown = sorted(set(settings.OTP_REQUIRED_ROLES) - set(Role.values))
    if not unknown:
        return []
    return [
        checks.Error(
            f"OTP_REQUIRED_ROLES names unknown roles: {', '.join(unknown)}.",
            hint=f"Use the Role values: {', '.join(Role.values)}.",
            id="accounts.E001",
        )
    ]


# --- the middleware -----------------------------------------------------------------------------


def _exempt(path: str) -> bool:
    """Pages an unverified session may open: logging in and out, static files, and the second
    factor's own setup and verify pages. Its other pages (status, recovery codes, turning it
    off, the reset) need a verified session like every page."""
    exempt = (
        reverse("accounts:login"),
        reverse("accounts:logout"),
        reverse("accounts:otp_verify"),
        reverse("accounts:otp_setup"),
        settings.STATIC_URL,
        "/favicon.ico",
    )
    return path.startswith(exempt)


def redirect_to_verify(request: HttpRequest) -> HttpResponseRedirect:
    """To the verify page, coming back to the page asked for after it."""
    url = reverse("accounts:otp_verify")
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    return HttpResponseRedirect(url)


class TwoFactorMiddleware:
    """Sends an authenticated but unverified user who has a device, or whose role requires one,
    to the verify page before any other page. After django_otp's OTPMiddleware; the forced
    password change comes after this one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not _exempt(request.path)
            and must_verify(request)
        ):
            return redirect_to_verify(request)
        return self.get_response(request)


# --- the QR code --------------------------------------------------------------------------------


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URI as an SVG QR code in a data: URI: drawn here, never by an outside
    service (the CSP allows data: images), and never stored."""
    image = qrcode.make(
        device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2
    )
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def manual_key(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into the app by hand."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def normalise_code(code: str) -> str:
    """What a person types: spaces and dashes dropped, letters in lower case."""
    return re.sub(r"[\s-]", "", code).lower()


# --- services -----------------------------------------------------------------------------------


@dataclass
class CheckResult:
    """What a code check found: ok, or refused because wrong or throttled (until when)."""

    ok: bool
    throttled_until: datetime | None = None
    recovery_code_used: bool = False
    recovery_codes_left: int = 0


def setup_device_for(user: User) -> TOTPDevice:
    """The user's unconfirmed authenticator being set up (made on first use, kept until it is
    confirmed, so that reloading the page keeps the QR code the phone already scanned)."""
    device = totp_device_for(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def _throttled_until(device: TOTPDevice | StaticDevice) -> datetime | None:
    allowed, data = device.verify_is_allowed()
    if allowed:
        return None
    return data.get("locked_until") if data else timezone.now()


def _check_on(device: TOTPDevice | StaticDevice, code: str, *, well_formed: bool) -> CheckResult:
    """One code against one device, which the caller has locked (select_for_update): parallel
    guesses then wait for each other and each sees the failures before it, so that throttling
    cannot be outrun and no failure count is lost."""
    until = _throttled_until(device)
    if until is not None:
        return CheckResult(ok=False, throttled_until=until)
    if well_formed and _verify(device, code):  # a wrong code counts towards throttling
        return CheckResult(ok=True, recovery_code_used=isinstance(device, StaticDevice))
    if not well_formed:
        device.throttle_increment()
    return CheckResult(ok=False)


def otp_confirm(*, request: HttpRequest, user: User, code: str) -> tuple[CheckResult, list[str]]:
    """Confirm the authenticator being set up with a code from it: the device becomes the user's
    second factor, the session is verified, and ten new recovery codes are made (returned to be
    shown once). A wrong code is refused and counts towards throttling."""
    code = normalise_code(code)
    codes: list[str] = []
    pk = setup_device_for(user).pk
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=pk)
        result = _check_on(device, code, well_formed=bool(TOTP_CODE.match(code)))
        if result.ok:
            # one authenticator per person: an older one (set up before a reset) goes
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _new_recovery_codes(user)
    if not result.ok:
        security_event_send(
            "otp.verify_failed",
            actor=user,
            target=f"user:{user.pk}",
            detail={"step": "setup", "throttled": result.throttled_until is not None},
            result="failure",
            request=request,
        )
        return result, []
    _mark_verified(request, device)
    security_event_send(
        "otp.enabled", actor=user, target=f"user:{user.pk}", detail={}, request=request
    )
    result.recovery_codes_left = len(codes)
    return result, codes


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_regenerate(*, request: HttpRequest, user: User) -> list[str]:
    """Ten new recovery codes; the old ones stop working. Returned to be shown once."""
    with transaction.atomic():
        codes = _new_recovery_codes(user)
    security_event_send(
        "otp.recovery_codes_regenerated",
        actor=user,
        target=f"user:{user.pk}",
        detail={"count": len(codes)},
        request=request,
    )
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def check_code(*, request: HttpRequest, user: User, code: str, step: str) -> CheckResult:
    """Check a code from the authenticator app, or a recovery code (used up by this). Throttled
    by django-otp per device; every refusal is sent to the audit trail."""
    code = normalise_code(code)
    well_formed = bool(TOTP_CODE.match(code) or RECOVERY_CODE.match(code))
    with transaction.atomic():
        # the authenticator's row is the lock for every check of this user's codes
        totp = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("pk")
            .first()
        )
        recovery = (
            StaticDevice.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("pk")
            .first()
        )
        # a malformed code counts against the authenticator, so that guessing stays throttled
        device: TOTPDevice | StaticDevice | None = (
            recovery if RECOVERY_CODE.match(code) else totp
        ) or (totp or recovery)
        if device is None:
            return CheckResult(ok=False)
        result = _check_on(device, code, well_formed=well_formed)
    if not result.ok:
        security_event_send(
            "otp.verify_failed",
            actor=user,
            target=f"user:{user.pk}",
            detail={"step": step, "throttled": result.throttled_until is not None},
            result="failure",
            request=request,
        )
        return result
    if result.recovery_code_used:
        result.recovery_codes_left = recovery_codes_left(user)
        security_event_send(
            "otp.recovery_code_used",
            actor=user,
            target=f"user:{user.pk}",
            detail={"left": result.recovery_codes_left, "step": step},
            request=request,
        )
    return result


def _verify(device: TOTPDevice | StaticDevice, code: str) -> bool:
    """django-otp's check for the app's codes (it refuses a code of a step already used). A
    recovery code is used up by a conditional delete, so that two requests racing with the same
    code cannot both pass (django-otp reads, then deletes)."""
    if isinstance(device, TOTPDevice):
        return bool(device.verify_token(code))
    deleted, _ = StaticToken.objects.filter(device=device, token=code).delete()
    if deleted:
        device.throttle_reset(commit=False)
        device.set_last_used_timestamp(commit=False)
        device.save()
    else:
        device.throttle_increment()
    return bool(deleted)


def _mark_verified(request: HttpRequest, device: TOTPDevice) -> None:
    """The session passed the second factor: a new session key (the one an onlooker may have
    seen before the second step no longer counts), and django-otp's mark."""
    request.session.cycle_key()
    otp_login(request, device)
    request.session[HAS_DEVICE_SESSION_KEY] = True


def otp_verify(*, request: HttpRequest, user: User, code: str) -> CheckResult:
    """The second step of the login: a right code marks the session verified."""
    result = check_code(request=request, user=user, code=code, step="login")
    if result.ok:
        # the session is verified by the authenticator even when a recovery code was used:
        # it is the device the person owns; django-otp only needs one of the user's devices
        device = totp_device_for(user)
        if device is not None:
            _mark_verified(request, device)
    return result


def otp_disable(*, request: HttpRequest, user: User, code: str) -> CheckResult:
    """The user turns the second factor off, proving it with a current code. Refused (the
    caller shows why) for a role that must use it."""
    if otp_required_for(user):
        return CheckResult(ok=False)
    result = check_code(request=request, user=user, code=code, step="disable")
    if result.ok:
        _remove_devices(user)
        request.session.pop(DEVICE_ID_SESSION_KEY, None)
        request.session[HAS_DEVICE_SESSION_KEY] = False
        security_event_send(
            "otp.disabled", actor=user, target=f"user:{user.pk}", detail={}, request=request
        )
    return result


def _remove_devices(user: User) -> None:
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


def may_reset_second_factor(actor: User) -> bool:
    """Only the security administrator (三员分立) resets another person's second factor."""
    return actor.is_authenticated and actor.role == Role.SECURITY_ADMINISTRATOR


def otp_reset(*, actor: User, target: User, request: HttpRequest | None = None) -> bool:
    """The security administrator removes the second factor of someone who lost the phone; at
    the next login the person sets it up again (or, for an optional role, may go without).
    Returns False (nothing changed) if the actor may not or the target has none."""
    if not may_reset_second_factor(actor):
        security_event_send(
            "otp.reset",
            actor=actor,
            target=f"user:{target.pk}",
            detail={},
            result="failure",
            request=request,
        )
        return False
    return _reset(target, actor=actor, detail={"username": target.username}, request=request)


def otp_reset_from_console(*, target: User) -> bool:
    """The break-glass reset (`manage.py reset_second_factor`), for when the security
    administrator has lost the phone: whoever may run commands on the server."""
    return _reset(target, actor=None, detail={"username": target.username, "via": "manage.py"})


def _reset(
    target: User,
    *,
    actor: User | None,
    detail: dict[str, Any],
    request: HttpRequest | None = None,
) -> bool:
    had = TOTPDevice.objects.filter(user=target).exists() or (
        StaticDevice.objects.filter(user=target).exists()
    )
    if not had:
        return False
    _remove_devices(target)
    security_event_send(
        "otp.reset", actor=actor, target=f"user:{target.pk}", detail=detail, request=request
    )
    return True
