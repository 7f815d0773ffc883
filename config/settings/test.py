"""Test settings: PostgreSQL and Redis started by `make test` (tests/services.sh) on spare ports."""

import os

os.environ.setdefault("POSTGRES_DB", "jianyi")

from .base import *  # noqa: F403
from .base import BASE_DIR, env, env_bool

DEBUG = False
SECRET_KEY = "test-only-secret-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; prod is Argon2
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
CELERY_TASK_ALWAYS_EAGER = env_bool(
    "CELERY_TASK_ALWAYS_EAGER", True
)  # off for real beat/worker runs
ALLOWED_HOSTS = ["*"]
# 智能交办: the tests see every change at once, fitted in the request (a background fit would
# read another connection than a test's transaction); tests of the background refit override this
ROUTING_RECHECK_SECONDS = 0
ROUTING_FIT_IN_BACKGROUND = False
# the second factor: tests that need it required set OTP_REQUIRED_ROLES themselves
OTP_REQUIRED_ROLES = []
