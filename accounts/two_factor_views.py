"""两步验证 pages under /accounts/otp/: the status page, setting up an authenticator app, the
second step of the login, recovery codes, turning it off, and the security administrator's
reset for someone who lost the phone. The rules and writes are in accounts.two_factor."""

from __future__ import annotations

import math

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import two_factor
from .models import User
from .two_factor import CheckResult


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("验证码"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
        help_text=gettext_lazy("手机验证器应用中显示的 6 位数字。"),
    )

    def refuse(self, result: CheckResult) -> None:
        """Put the reason a check failed on the form, in words the person can act on."""
        if result.throttled_until is not None:
            seconds = max(1, math.ceil((result.throttled_until - timezone.now()).total_seconds()))
            self.add_error(
                "code",
                _("错误次数过多，请 %(seconds)s 秒后再试。") % {"seconds": seconds},
            )
        else:
            self.add_error("code", _("验证码不正确，请核对后重新输入。"))


class LoginCodeForm(CodeForm):
    """The verify page and turning it off take a recovery code too."""

    code = forms.CharField(
        label=gettext_lazy("验证码"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
        help_text=gettext_lazy(
            "手机验证器应用中显示的 6 位数字；手机不在身边时，可输入一个 8 位恢复码（每个只能用一次）。"
        ),
    )


def _next_url(request: HttpRequest) -> str:
    """Where to go after the second factor: a path on this site, else the home page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("workbench:home")


def _keeping_query(request: HttpRequest, name: str) -> str:
    """The other step's URL, with this one's ?next= passed on."""
    query = request.GET.urlencode()
    return reverse(name) + (f"?{query}" if query else "")


def _recovery_codes_page(request: HttpRequest, codes: list[str]) -> HttpResponse:
    """The new codes, in this answer only (never stored readable; the views are never_cache:
    no-store)."""
    return render(
        request,
        "accounts/two_factor/recovery.html",
        {"title": _("恢复码"), "codes": codes, "left": len(codes), "next": _next_url(request)},
    )


@never_cache
@login_required
def otp_status(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render(
        request, "accounts/two_factor/status.html", _status_context(user, LoginCodeForm())
    )


def _status_context(user: User, form: forms.Form) -> dict[str, object]:
    return {
        "title": _("两步验证"),
        "enabled": two_factor.has_second_factor(user),
        "required": two_factor.otp_required_for(user),
        "recovery_left": two_factor.recovery_codes_left(user),
        "may_reset": two_factor.may_reset_second_factor(user),
        "form": form,
    }


@never_cache
@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Scan the QR code (or type the key), confirm with a code; then the recovery codes, once."""
    user: User = request.user  # type: ignore[assignment]
    if two_factor.has_second_factor(user):
        if not two_factor.is_verified(request):
            return redirect(_keeping_query(request, "accounts:otp_verify"))
        messages.info(request, _("两步验证已启用。"))
        return redirect("accounts:otp")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result, codes = two_factor.otp_confirm(
            request=request, user=user, code=form.cleaned_data["code"]
        )
        if result.ok:
            messages.success(request, _("两步验证已启用。请妥善保存下面的恢复码。"))
            return _recovery_codes_page(request, codes)
        form.refuse(result)
    device: TOTPDevice = two_factor.setup_device_for(user)
    return render(
        request,
        "accounts/two_factor/setup.html",
        {
            "title": _("设置两步验证"),
            "form": form,
            "qr_code": two_factor.qr_code_data_uri(device),
            "manual_key": two_factor.manual_key(device),
            "required": two_factor.otp_required_for(user),
            "next": request.GET.get("next", ""),
        },
    )


@never_cache
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step of the login."""
    user: User = request.user  # type: ignore[assignment]
    if not two_factor.has_second_factor(user):
        if two_factor.otp_required_for(user):
            return redirect(_keeping_query(request, "accounts:otp_setup"))
        # the device was reset since the login: nothing left to verify
        request.session[two_factor.HAS_DEVICE_SESSION_KEY] = False
        return HttpResponseRedirect(_next_url(request))
    if request.method == "GET" and two_factor.is_verified(request):
        return HttpResponseRedirect(_next_url(request))
    form = LoginCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = two_factor.otp_verify(request=request, user=user, code=form.cleaned_data["code"])
        if result.ok:
            if result.recovery_code_used:
                messages.warning(
                    request,
                    _(
                        "已使用一个恢复码，还剩 %(left)s 个。手机找回前请勿用完；可在“两步验证”页重新生成。"
                    )
                    % {"left": result.recovery_codes_left},
                )
            return HttpResponseRedirect(_next_url(request))
        form.refuse(result)
    return render(
        request,
        "accounts/two_factor/verify.html",
        {
            "title": _("两步验证"),
            "form": form,
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
    )


@never_cache
@login_required
def otp_recovery(request: HttpRequest) -> HttpResponse:
    """How many recovery codes are left; a POST makes ten new ones (shown once, in the answer)."""
    user: User = request.user  # type: ignore[assignment]
    if not two_factor.has_second_factor(user):
        return redirect("accounts:otp")
    if request.method == "POST":
        codes = two_factor.recovery_codes_regenerate(request=request, user=user)
        messages.success(request, _("已生成新的恢复码，原有恢复码全部作废。"))
        return _recovery_codes_page(request, codes)
    return render(
        request,
        "accounts/two_factor/recovery.html",
        {"title": _("恢复码"), "codes": [], "left": two_factor.recovery_codes_left(user)},
    )


@require_POST
@login_required
def otp_disable(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if two_factor.otp_required_for(user):
        raise PermissionDenied(_("您的角色必须使用两步验证，不能关闭。"))
    if not two_factor.has_second_factor(user):
        return redirect("accounts:otp")
    form = LoginCodeForm(request.POST)
    if form.is_valid():
        result = two_factor.otp_disable(request=request, user=user, code=form.cleaned_data["code"])
        if result.ok:
            messages.success(request, _("两步验证已关闭。"))
            return redirect("accounts:otp")
        form.refuse(result)
    return render(request, "accounts/two_factor/status.html", _status_context(user, form))


def _security_admin(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not two_factor.may_reset_second_factor(user):
        raise PermissionDenied(_("只有安全管理员可以重置两步验证。"))
    return user


@never_cache
@login_required
def otp_reset_list(request: HttpRequest) -> HttpResponse:
    """The security administrator finds the person who lost the phone."""
    _security_admin(request)
    query = request.GET.get("q", "").strip()[:60].replace("\x00", "")
    users = User.objects.filter(
        pk__in=TOTPDevice.objects.filter(confirmed=True).values("user_id")
    ).order_by("username")
    if query:
        users = users.filter(Q(username__icontains=query) | Q(full_name__icontains=query))
    return render(
        request,
        "accounts/two_factor/reset.html",
        {"title": _("重置两步验证"), "users": users[:50], "q": query},
    )


@require_POST
@login_required
def otp_reset(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _security_admin(request)
    target = get_object_or_404(User, pk=pk)
    if two_factor.otp_reset(actor=actor, target=target, request=request):
        messages.success(
            request,
            _("已重置 %(name)s 的两步验证；其下次登录时需重新设置。")
            % {"name": target.full_name or target.username},
        )
    else:
        messages.info(request, _("该用户未启用两步验证。"))
    return redirect("accounts:otp_reset_list")
