"""API authentication besides the session: personal API tokens (个人 API 令牌) and the bearer
tokens of the single sign-on provider (统一身份认证), as Django REST framework authentication
classes for DEFAULT_AUTHENTICATION_CLASSES (config/settings/base.py, REST_FRAMEWORK).

Personal tokens
    The owner creates one on /accounts/tokens/ (a name and an expiry of 30, 90, 180 or 365
    days, at most API_TOKEN_MAX_DAYS) and sees it once: "jy_" and 43 random characters. Only the
    SHA-256 of the whole string is stored (`PersonalToken.key_hash`, unique), so a request's
    token is found by hashing it: nothing secret is compared character by character, and a copy
    of the database gives no usable token. A token is refused (401, in Chinese) once revoked
    (by its owner, or by the security administrator in the admin), expired, or when its owner
    could not use the site either: the account is inactive, or the password must be changed
    first (set by an administrator, or expired: the site would show nothing but the change
    page). `last_used_at` is written at most once a minute. No session is created.

    The second factor: a token is created only from a session that passed the second factor
    wherever the user's role requires it (TwoFactorMiddleware guards the token pages like every
    page), so a request with the token counts as verified, as the session it came from did.

SSO bearer tokens
    With OIDC_ENABLED, a bearer token that is not ours is an access token of the provider. With
    OIDC_OP_INTROSPECTION_ENDPOINT it is introspected first (RFC 7662, with our client's
    credentials) and must be active and issued to one of OIDC_BEARER_AUDIENCES (by default our
    own client id): a token that another site of the same provider received is not a key to
    ours. Then (or, without introspection, only) the provider's userinfo endpoint
    (OIDC_OP_USER_ENDPOINT) gives the claims, and OIDC_USERNAME_CLAIM names the local user, as in
    the SSO login (accounts/sso.py). Unlike that
    login, an unknown person is never created. The provider's answer is remembered for
    OIDC_BEARER_CACHE_SECONDS (under the token's hash), so that a client's burst of requests
    asks it once. Since the provider cannot vouch for our second factor, a user who must pass it
    on the site (a role in OTP_REQUIRED_ROLES, or a confirmed device) is refused and told to use
    a personal token.

Services below do every write; each create and revoke is sent to the audit trail
(security_event "api_token.created" / "api_token.revoked").
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from .models import PersonalToken, User
from .passwords import password_change_reason
from .signals import security_event_send

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "jy_"
PREFIX_LENGTH = 8  # PersonalToken.key_prefix: the first characters after "jy_"
SECRET_BYTES = 32  # token_urlsafe(32): 43 characters, 256 bits
TOKEN_FORMAT = re.compile(r"^jy_[A-Za-z0-9_-]{43}$")
EXPIRY_DAY_CHOICES = (30, 90, 180, 365)
DEFAULT_EXPIRY_DAYS = 90
# last_used_at is written at most this often: an API client's every request would otherwise
# cost an UPDATE
LAST_USED_RESOLUTION = timedelta(minutes=1)
USERNAME_CLAIM_MAX_LENGTH = 150  # accounts.User.username


# --- the token string -------------------------------------------------------------------------


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_token_string() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def expiry_day_choices() -> list[int]:
    """The expiries offered: 30/90/180/365 days, none beyond API_TOKEN_MAX_DAYS (at least one)."""
    limit = max_days()
    return [days for days in EXPIRY_DAY_CHOICES if days <= limit] or [limit]


def max_days() -> int:
    return max(1, int(getattr(settings, "API_TOKEN_MAX_DAYS", 365)))


def default_expiry_days() -> int:
    choices = expiry_day_choices()
    return DEFAULT_EXPIRY_DAYS if DEFAULT_EXPIRY_DAYS in choices else choices[-1]


# --- reads ------------------------------------------------------------------------------------


def get_personal_token_for_user(user: User, pk: int) -> PersonalToken:
    """The user's own token; 404 for a missing one and for anyone else's alike."""
    token = PersonalToken.objects.for_user(user).filter(pk=pk).first()
    if token is None:
        raise Http404
    return token


# --- services ---------------------------------------------------------------------------------


@dataclass
class CreatedToken:
    token: PersonalToken
    secret: str  # the whole token string: shown once, never stored


def personal_token_create(
    *, user: User, name: str, days: int, request: HttpRequest | None = None
) -> CreatedToken:
    """A new personal token for the user, valid for `days` (one of expiry_day_choices()).
    Raises ValidationError (in Chinese) for a name missing, an expiry not offered, or when the
    user already has API_TOKEN_MAX_PER_USER usable tokens. The returned secret is the only copy."""
    name = name.strip()
    if not name:
        raise ValidationError(_("请填写令牌名称。"), code="name_required")
    if days not in expiry_day_choices():
        raise ValidationError(
            _("有效期只能选择 %(choices)s 天。")
            % {"choices": "、".join(str(d) for d in expiry_day_choices())},
            code="bad_expiry",
        )
    limit = int(getattr(settings, "API_TOKEN_MAX_PER_USER", 10))
    now = timezone.now()
    with transaction.atomic():
        # the user's row serialises two creations racing past the limit
        User.objects.select_for_update().filter(pk=user.pk).first()
        if limit and PersonalToken.objects.for_user(user).usable(now).count() >= limit:
            raise ValidationError(
                _("您已有 %(limit)d 个有效令牌，请先撤销不再使用的令牌。") % {"limit": limit},
                code="too_many",
            )
        secret = new_token_string()
        token = PersonalToken.objects.create(
            user=user,
            name=name[:60],
            key_prefix=secret[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + PREFIX_LENGTH],
            key_hash=hash_token(secret),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    security_event_send(
        "api_token.created",
        actor=user,
        target=f"api_token:{token.pk}",
        detail={
            "name": token.name,
            "prefix": token.key_prefix,
            "owner": user.username,
            "days": days,
        },
        request=request,
    )
    return CreatedToken(token=token, secret=secret)


def personal_token_revoke(
    *, token: PersonalToken, actor: User, request: HttpRequest | None = None
) -> bool:
    """Revoke a token: its owner (the caller fetched it with get_personal_token_for_user) or the
    security administrator (the admin). False, and nothing recorded, if it was revoked already."""
    if actor.pk != token.user_id and not actor.is_security_administrator:
        raise Http404
    now = timezone.now()
    revoked = PersonalToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=actor
    )
    if not revoked:
        return False
    token.revoked_at, token.revoked_by = now, actor
    security_event_send(
        "api_token.revoked",
        actor=actor,
        target=f"api_token:{token.pk}",
        detail={
            "name": token.name,
            "prefix": token.key_prefix,
            "owner": token.user.username,
            "by_owner": actor.pk == token.user_id,
        },
        request=request,
    )
    return True


def purge_personal_tokens(now: datetime | None = None) -> int:
    """Delete the tokens expired or revoked more than API_TOKEN_PURGE_AFTER_DAYS ago (the daily
    job, accounts.tasks.purge_personal_tokens); the audit trail keeps their creation and
    revocation. Returns how many."""
    days = int(getattr(settings, "API_TOKEN_PURGE_AFTER_DAYS", 30))
    before = (now or timezone.now()) - timedelta(days=days)
    deleted, _by_model = PersonalToken.objects.purgeable(before).delete()
    return deleted


# --- checks shared by both kinds of token -----------------------------------------------------


def _bearer_token(request: Request) -> str | None:
    """The token of `Authorization: Bearer …`, or None when the request names another scheme
    or none (then the next authentication class, e.g. the session, has its turn)."""
    parts = get_authorization_header(request).split()
    if not parts or parts[0].lower() != b"bearer":
        return None
    if len(parts) != 2:
        raise exceptions.AuthenticationFailed(
            _("Authorization 请求头格式不正确，应为：Bearer 令牌。")
        )
    try:
        return parts[1].decode("ascii")
    except UnicodeDecodeError:
        raise exceptions.AuthenticationFailed(_("令牌无效。")) from None


def _refuse_unless_allowed(user: User) -> None:
    """What would keep this user from using the site after a login keeps the token out too."""
    if not user.is_active:
        raise exceptions.AuthenticationFailed(_("您的账号尚未启用或已停用，请联系系统管理员。"))
    if password_change_reason(user):
        raise exceptions.AuthenticationFailed(
            _("您的密码须先修改：请登录网站修改密码后再使用 API。")
        )


class _BearerAuthentication(BaseAuthentication):
    def authenticate_header(self, request: Request) -> str:
        # a 401 (not 403) for a request without credentials, naming the scheme to use
        return 'Bearer realm="api"'


# --- personal tokens --------------------------------------------------------------------------


class PersonalTokenAuthentication(_BearerAuthentication):
    """`Authorization: Bearer jy_…`: a personal API token (see the module's docstring)."""

    def authenticate(self, request: Request) -> tuple[User, PersonalToken] | None:
        raw = _bearer_token(request)
        if raw is None or not raw.startswith(TOKEN_PREFIX):
            return None
        if not TOKEN_FORMAT.match(raw):
            raise exceptions.AuthenticationFailed(_("令牌无效。"))
        digest = hash_token(raw)
        token = (
            PersonalToken.objects.select_related("user", "user__unit")
            .filter(key_hash=digest)
            .first()
        )
        # the lookup was by the hash; compared again in constant time all the same
        if token is None or not hmac.compare_digest(token.key_hash, digest):
            raise exceptions.AuthenticationFailed(_("令牌无效。"))
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("令牌已撤销。"))
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed(
                _("令牌已于 %(date)s 过期，请创建新的令牌。")
                % {"date": timezone.localtime(token.expires_at).strftime("%Y-%m-%d")}
            )
        user = token.user
        _refuse_unless_allowed(user)
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            PersonalToken.objects.filter(pk=token.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
            ).update(last_used_at=now)
            token.last_used_at = now
        return user, token


# --- bearer tokens of the single sign-on provider ---------------------------------------------


class ProviderUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "sso_unavailable"

    def __init__(self) -> None:
        super().__init__(_("统一身份认证暂时无法核验令牌，请稍后再试。"))


# why a provider's token was refused, as told to the client
SSO_REFUSALS = {
    "invalid": gettext_lazy("令牌无效或已过期。"),
    "audience": gettext_lazy("该令牌不是为本系统签发的，不能访问本系统的 API。"),
    "no_claim": gettext_lazy("统一身份认证未提供用户名，无法使用 API。"),
    "bad_username": gettext_lazy("统一身份认证提供的用户名不符合本系统要求，无法使用 API。"),
    "unknown_user": gettext_lazy("您尚未开通本系统账号，请联系系统管理员。"),
    "second_factor": gettext_lazy(
        "您的账号须使用两步验证，不能以统一身份认证令牌直接访问 API；请在网站“API 令牌”页面创建个人令牌。"
    ),
}


def _sso_enabled() -> bool:
    return bool(getattr(settings, "OIDC_ENABLED", False))


def _provider_username(raw: str) -> str:
    """The username the provider vouches for with this access token, or "!reason" when it
    refuses the token, the token is not meant for this site, or it names nobody we could map.
    Cached by the token's hash; a provider that cannot answer raises ProviderUnavailable."""
    key = f"sso-bearer:{hash_token(raw)}"
    cached = cache.get(key)
    if isinstance(cached, str):
        return cached
    try:
        answer = _ask_provider(raw)
    except requests.RequestException as exc:
        logger.warning("SSO bearer token: the provider could not be asked: %s", exc)
        raise ProviderUnavailable() from None
    cache.set(key, answer, int(getattr(settings, "OIDC_BEARER_CACHE_SECONDS", 60)))
    return answer


def _json_object(response: requests.Response) -> dict[str, Any] | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _provider_call_failed(response: requests.Response, endpoint: str) -> ProviderUnavailable:
    logger.warning(
        "SSO bearer token: the provider's %s answered %s", endpoint, response.status_code
    )
    return ProviderUnavailable()


def bearer_audiences() -> set[str]:
    """The client ids (or audiences) whose access tokens the API takes: OIDC_BEARER_AUDIENCES,
    by default this site's own client id."""
    return set(getattr(settings, "OIDC_BEARER_AUDIENCES", []) or [settings.OIDC_RP_CLIENT_ID])


def _meant_for_us(introspection: dict[str, Any]) -> bool:
    audience = introspection.get("aud")
    names = set(audience) if isinstance(audience, list) else {audience}
    names.add(introspection.get("client_id"))
    return bool({str(name) for name in names if name} & bearer_audiences())


def _ask_provider(raw: str) -> str:
    """With OIDC_OP_INTROSPECTION_ENDPOINT (RFC 7662): the token must be active and issued to
    a client of OIDC_BEARER_AUDIENCES; the username comes from its claims when the provider
    puts OIDC_USERNAME_CLAIM there, else from the userinfo endpoint, which without introspection
    is the only check (any client's token that it accepts)."""
    timeout, verify = settings.OIDC_TIMEOUT, settings.OIDC_VERIFY_SSL
    proxies = getattr(settings, "OIDC_PROXY", None)
    introspection_endpoint = getattr(settings, "OIDC_OP_INTROSPECTION_ENDPOINT", "")
    if introspection_endpoint:
        response = requests.post(
            introspection_endpoint,
            data={"token": raw, "token_type_hint": "access_token"},
            auth=(settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET),
            timeout=timeout,
            verify=verify,
            proxies=proxies,
        )
        if response.status_code != 200:
            raise _provider_call_failed(response, "introspection")
        introspection = _json_object(response)
        if introspection is None or introspection.get("active") is not True:
            return "!invalid"
        if not _meant_for_us(introspection):
            return "!audience"
        if introspection.get(settings.OIDC_USERNAME_CLAIM) is not None:
            return _username_from_claims(introspection)
    response = requests.get(
        settings.OIDC_OP_USER_ENDPOINT,
        headers={"Authorization": f"Bearer {raw}"},
        timeout=timeout,
        verify=verify,
        proxies=proxies,
    )
    if response.status_code in (400, 401, 403):
        return "!invalid"
    if response.status_code != 200:
        raise _provider_call_failed(response, "userinfo")
    claims = _json_object(response)
    return "!invalid" if claims is None else _username_from_claims(claims)


def _username_from_claims(claims: dict[str, Any]) -> str:
    from .sso import username_from_claims

    username = username_from_claims(claims)
    if not username:
        return "!no_claim"
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        return "!bad_username"
    if len(username) > USERNAME_CLAIM_MAX_LENGTH:
        return "!bad_username"
    return username


def _must_pass_second_factor(user: User) -> bool:
    from .two_factor import has_second_factor, otp_required_for

    return otp_required_for(user) or has_second_factor(user)


class SSOBearerAuthentication(_BearerAuthentication):
    """`Authorization: Bearer …` with an access token of the single sign-on provider (see the
    module's docstring). Without OIDC_ENABLED a bearer token that is not ours is refused."""

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        raw = _bearer_token(request)
        if raw is None or raw.startswith(TOKEN_PREFIX):
            return None  # not a bearer token, or a personal one (the class above)
        if not _sso_enabled() or not raw or len(raw) > 4096:
            raise exceptions.AuthenticationFailed(_("令牌无效。"))
        answer = _provider_username(raw)
        if answer.startswith("!"):
            raise exceptions.AuthenticationFailed(SSO_REFUSALS[answer[1:]])
        user = User.objects.select_related("unit").filter(username=answer).first()
        if user is None:
            raise exceptions.AuthenticationFailed(SSO_REFUSALS["unknown_user"])
        _refuse_unless_allowed(user)
        if _must_pass_second_factor(user):
            raise exceptions.AuthenticationFailed(SSO_REFUSALS["second_factor"])
        return user, None
