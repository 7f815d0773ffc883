"""Single sign-on (统一身份认证) through an OpenID Connect provider, with mozilla-django-oidc.

The code flow: `sso_login` sends the browser to the provider with a state, a nonce and a PKCE
challenge kept in the session; the provider sends it back to `sso_callback` with a code, which
`SSOBackend` exchanges (server to server) for the tokens, checks the ID token's signature and
nonce, asks for the user's claims, and maps the claim OIDC_USERNAME_CLAIM to a local username.
A person the provider knows and we do not is refused, or created inactive for the administrators
to check (OIDC_UNKNOWN_USER). The login itself is Django's `login()`, so whatever else guards a
login (second factor, audit) applies to this one too. Logging out ends the provider's session
when it has an end_session_endpoint (OIDC_OP_LOGOUT_ENDPOINT).

Everything is off unless OIDC_ENABLED (config/settings/base.py): the views answer 404 and the
backend is not in AUTHENTICATION_BACKENDS.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import requests
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from .backends import UserBackend, password_login_allowed
from .language import Text
from .models import Role, User
from .notifications import notify
from .signals import security_event_send

logger = logging.getLogger(__name__)

# Why a single sign-on was refused, as recorded (login.sso_refused) and as told to the person.
REFUSAL_MESSAGES = {
    "provider_error": _("统一身份认证未能完成，请重新登录；如多次失败，请联系系统管理员。"),
    "no_claim": _("统一身份认证未提供用户名，无法登录，请联系系统管理员。"),
    "bad_username": _("统一身份认证提供的用户名不符合本系统要求，无法登录，请联系系统管理员。"),
    "unknown_user": _("您尚未开通本系统账号，请联系系统管理员。"),
    "created_inactive": _("已为您登记账号，待系统管理员核实并启用后即可登录。"),
    "inactive": _("您的账号尚未启用或已停用，请联系系统管理员。"),
}

USERNAME_CLAIM_MAX_LENGTH = 150  # accounts.User.username


def sso_enabled() -> bool:
    return bool(getattr(settings, "OIDC_ENABLED", False))


def _refuse(
    request: HttpRequest, reason: str, username: str = "", user: User | None = None
) -> None:
    """Remember why, for the callback view to record and to tell the person (once)."""
    request.sso_refusal = (reason, username, user)  # type: ignore[attr-defined]


def username_from_claims(claims: dict[str, Any]) -> str:
    """The local username the provider's claims name (OIDC_USERNAME_CLAIM), or "": for the
    login here and for the provider's bearer tokens (accounts.api_tokens)."""
    value = claims.get(settings.OIDC_USERNAME_CLAIM)
    return str(value).strip() if isinstance(value, str | int) else ""


# --- creating the accounts of unknown people (OIDC_UNKNOWN_USER=create_inactive) -------------


def create_inactive_user(username: str, claims: dict[str, Any]) -> User:
    """An inactive member account for someone the provider vouches for, and a notice to every
    system administrator to check it, give it its role (and unit or member profile) and enable
    it. It has no usable password: it logs in through the single sign-on only."""
    name = str(claims.get("name") or "").strip()[:60]
    email = str(claims.get("email") or "").strip()
    try:
        forms.EmailField().clean(email)
    except ValidationError:
        email = ""
    with transaction.atomic():
        user = User(
            username=username,
            full_name=name,
            email=email,
            role=Role.MEMBER,
            is_active=False,
        )
        user.set_unusable_password()
        user.save()
        administrators = User.objects.filter(is_active=True).filter(
            Q(role=Role.ADMINISTRATOR) | Q(is_superuser=True)
        )
        notify(
            administrators,
            Text(
                gettext_noop(
                    "统一身份认证新用户“%(name)s”（%(username)s）已登记，尚未启用：请核实身份，设定角色后启用。"
                ),
                name=name or username,
                username=username,
            ),
            url=reverse("admin:accounts_user_change", args=[user.pk]),
        )
    return user


# --- the authentication backend ---------------------------------------------------------------


class SSOBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, mapping OIDC_USERNAME_CLAIM to a local username (never by
    e-mail: two people may share a mailbox) and never creating an active account."""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:  # type: ignore[override]
        if request is None or not sso_enabled():
            return None
        try:
            return super().authenticate(request, **kwargs)  # type: ignore[no-any-return]
        except (SuspiciousOperation, requests.RequestException, ValueError) as exc:
            # a bad signature or nonce, the provider unreachable or answering an error
            logger.warning("single sign-on failed: %s", exc)
            _refuse(request, "provider_error")
            return None

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> User | None:
        claims = self.get_userinfo(access_token, id_token, payload)
        username = self.username_from_claims(claims)
        if not username:
            _refuse(self.request, "no_claim")
            return None
        try:
            UnicodeUsernameValidator()(username)
            if len(username) > USERNAME_CLAIM_MAX_LENGTH:
                raise ValidationError("too long")
        except ValidationError:
            _refuse(self.request, "bad_username", username=username[:USERNAME_CLAIM_MAX_LENGTH])
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            if settings.OIDC_UNKNOWN_USER != "create_inactive":
                _refuse(self.request, "unknown_user", username=username)
                return None
            try:
                user = create_inactive_user(username, claims)
            except IntegrityError:  # the same person in two tabs at once
                user = User.objects.get(username=username)
            _refuse(self.request, "created_inactive", username=username, user=user)
            return user
        if not user.is_active:
            _refuse(self.request, "inactive", username=username, user=user)
        return user

    def username_from_claims(self, claims: dict[str, Any]) -> str:
        return username_from_claims(claims)

    def get_user(self, user_id: Any) -> User | None:
        # the session of an SSO login names this backend: load its user as every other (with
        # the unit, refused once deactivated)
        return UserBackend().get_user(user_id)


# --- views ------------------------------------------------------------------------------------


class _LoginStartView(OIDCAuthenticationRequestView):
    pass


class _CallbackView(OIDCAuthenticationCallbackView):
    def login_success(self) -> HttpResponse:
        response: HttpResponse = super().login_success()
        user: User = self.user  # type: ignore[assignment]
        security_event_send(
            "login.sso",
            actor=user,
            target=f"user:{user.pk}",
            detail={"username": user.username, "claim": settings.OIDC_USERNAME_CLAIM},
            request=self.request,
        )
        return response

    def login_failure(self) -> HttpResponse:
        reason, username, user = getattr(self.request, "sso_refusal", ("provider_error", "", None))
        if self.request.GET.get("error"):
            reason = "provider_error"  # e.g. the person declined, or the provider failed
        security_event_send(
            "login.sso_refused",
            actor=None,
            target=f"user:{user.pk}" if user is not None else "",
            detail={
                "reason": reason,
                "username": username,
                "provider_error": self.request.GET.get("error", "")[:100],
            },
            result="failure",
            request=self.request,
        )
        messages.error(self.request, REFUSAL_MESSAGES[reason])
        return HttpResponseRedirect(resolve_url("accounts:login"))


def sso_login(request: HttpRequest) -> HttpResponse:
    """统一身份认证登录: off to the provider (GET, with ?next= as on the login page)."""
    if not sso_enabled():
        raise Http404
    return _LoginStartView.as_view()(request)


def sso_callback(request: HttpRequest) -> HttpResponse:
    """Back from the provider with a code (or an error)."""
    if not sso_enabled():
        raise Http404
    try:
        return _CallbackView.as_view()(request)
    except SuspiciousOperation:
        # a state that this session never sent: a forged or replayed callback (an old link, or
        # a session that expired while at the provider, ends in login_failure without raising)
        _refuse(request, "provider_error")
        return _CallbackView(request=request).login_failure()


# --- logging out ------------------------------------------------------------------------------


def provider_logout_url(request: HttpRequest) -> str:
    """The provider's end_session_endpoint, with the ID token as id_token_hint and our login
    page to come back to; "" when there is none or this session did not come from the provider
    (OIDC_OP_LOGOUT_URL_METHOD, called before the session is flushed)."""
    endpoint = getattr(settings, "OIDC_OP_LOGOUT_ENDPOINT", "")
    id_token = request.session.get("oidc_id_token")
    if not (sso_enabled() and endpoint and id_token):
        return ""
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("accounts:login")),
            "client_id": settings.OIDC_RP_CLIENT_ID,
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


class LogoutView(auth_views.LogoutView):
    """Django's logout; then, for a session that came through the single sign-on, on to the
    provider to end its session too."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        method = getattr(settings, "OIDC_OP_LOGOUT_URL_METHOD", "")
        provider = import_string(method)(request) if method and sso_enabled() else ""
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(provider) if provider else response


# --- the login page ---------------------------------------------------------------------------


class PasswordLoginForm(AuthenticationForm):
    """The login form, refusing a password login when LOCAL_PASSWORD_LOGIN is off (before the
    password is checked, so it is not counted as a failure), except for the break-glass users.
    (accounts.backends.UserBackend refuses it too, for the admin's login form.)"""

    error_messages = {
        **AuthenticationForm.error_messages,
        "password_login_disabled": _(
            "本系统已改用统一身份认证，密码登录仅限应急账号。请点击“统一身份认证登录”。"
        ),
    }

    def clean(self) -> dict[str, Any]:
        if not password_login_allowed(self.cleaned_data.get("username")):
            raise ValidationError(
                self.error_messages["password_login_disabled"], code="password_login_disabled"
            )
        return super().clean()  # type: ignore[no-any-return]


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    authentication_form = PasswordLoginForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        context["sso_enabled"] = sso_enabled()
        context["password_login"] = getattr(settings, "LOCAL_PASSWORD_LOGIN", True)
        context["password_login_refused"] = bool(
            form is not None and form.has_error("__all__", "password_login_disabled")
        )
        return context
