"""Settings of the test OpenID Connect provider (not of this project). Everything that varies
comes from the environment the test fixture starts it with."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

SECRET_KEY = "test-oidc-provider-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oidc_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "tests.oidc_provider.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HERE / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        # the fixture gives each run its own file; never one inside the checkout
        "NAME": os.environ.get(
            "OIDC_PROVIDER_DB", str(Path(tempfile.gettempdir()) / "oidc-provider.sqlite3")
        ),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
LOGIN_URL = "/login/"
# different from ours, although the two never share a host name
SESSION_COOKIE_NAME = "provider_sessionid"
CSRF_COOKIE_NAME = "provider_csrftoken"

# django-oidc-provider: the issuer, and the claims of the "profile" and "email" scopes
SITE_URL = os.environ.get("OIDC_PROVIDER_URL", "http://127.0.0.1:8001")
OIDC_USERINFO = "tests.oidc_provider.settings.userinfo"


def userinfo(claims: dict[str, Any], user: Any) -> dict[str, Any]:
    claims["preferred_username"] = user.username
    claims["name"] = f"{user.last_name}{user.first_name}"
    claims["email"] = user.email
    claims["email_verified"] = True
    return claims
