"""Settings shared by every deployment.

Every deployment value comes from the environment with a safe default for the embedded run
(`make run`: SQLite, background jobs in-process). Production overrides live in prod.py.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


SECRET_KEY = env("DJANGO_SECRET_KEY", "insecure-embedded-only-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "accounts.apps.SeparatedAdminConfig",  # django.contrib.admin with 三员分立 (accounts/separation.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # before staticfiles: its `runserver` (which also runs the beat schedule's jobs in the
    # embedded run, config/embedded_jobs.py) replaces the one staticfiles adds
    "proposals",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_filters",
    # the second factor (accounts.two_factor); before accounts, whose admin hides their models
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts.apps.AxesConfig",  # django-axes, with a Chinese name in the admin
    "accounts",
    "replies",
    "workbench",
    "routing",
    "intake",
    "reports",  # the 办理工作报告 (reads proposals and replies, writes only its jobs; nothing imports it)
    # the meeting's 汇编 (PDF book of items and replies): reads proposals and replies, nothing
    # imports it (the dashboard shows its card through its template tag)
    "compilation",
    "member_records",  # 履职档案: reads proposals, replies and accounts; nothing imports it
    "audit",  # the security audit trail: receives accounts.signals; no app imports it
    # the JSON API (/api/v1/) and its OpenAPI schema and docs page (/api/schema/, /api/docs/)
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files as our own static files: nothing from a CDN
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # the reader's interface language, from their own choice, never Accept-Language
    "accounts.language.UserLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): passed the second factor
    "django.contrib.messages.middleware.MessageMiddleware",
    # idle and absolute session timeouts; then an unverified session sees only the second
    # factor's pages (accounts.two_factor); then a required password change (accounts.passwords)
    "accounts.sessions.SessionTimeoutMiddleware",
    "accounts.two_factor.TwoFactorMiddleware",
    "accounts.passwords.PasswordPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # last: turns a locked-out login into the lockout page (accounts.throttle)
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.notifications",
                "workbench.context_processors.work_counts",
            ],
        },
    },
]

# Form widgets through Jinja2 where Django ships a Jinja2 version of the widget template (all of
# its own widgets; not the admin's): config/renderers.py.
FORM_RENDERER = "config.renderers.JinjaFirstRenderer"

# Database: DATABASE_URL-style pieces; the embedded default is SQLite in the project folder.
# Prepared statements: psycopg prepares a query the 5th time a connection runs it, and
# PostgreSQL then stops planning it again. Planning was half of PostgreSQL's CPU under load (the
# item page's 7-table fetch plans in ~3 ms and runs in 0.5 ms; bench/README.md, "Load"). They need
# server-side binding. POSTGRES_PREPARE_THRESHOLD=0 turns both off, e.g. behind a pooler in
# transaction mode that cannot keep prepared statements (PgBouncer before 1.21).
PREPARE_THRESHOLD = env_int("POSTGRES_PREPARE_THRESHOLD", 5)
POSTGRES_OPTIONS = (
    {"server_side_binding": True, "prepare_threshold": PREPARE_THRESHOLD}
    if PREPARE_THRESHOLD
    else {}
)
if env("POSTGRES_DB"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": env("POSTGRES_DB"),
            "USER": env("POSTGRES_USER", "postgres"),
            "PASSWORD": env("POSTGRES_PASSWORD"),
            "HOST": env("POSTGRES_HOST", "127.0.0.1"),
            "PORT": env("POSTGRES_PORT", "5432"),
            "CONN_MAX_AGE": env_int("POSTGRES_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": POSTGRES_OPTIONS,
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(BASE_DIR / "var" / "db.sqlite3")),
            "OPTIONS": {"timeout": 20},
        }
    }
    # Two indexes carry extra columns for PostgreSQL's index-only scans (INCLUDE: the item list's
    # order, Proposal; the dashboard's sent replies, Reply). SQLite has no such indexes: Django
    # builds them there as plain indexes on the key columns, which is all the embedded run needs,
    # and says so with models.W040 at every `migrate`. Only that warning, only on SQLite.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "workbench:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# AxesStandaloneBackend first: it refuses a locked-out login before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.UserBackend",  # ModelBackend, with the unit
]

PASSWORD_HASHERS = [
    "accounts.hashers.OWASPArgon2PasswordHasher",  # Argon2id, 19 MiB, 2 passes (accounts/hashers.py)
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Password policy (accounts/passwords.py; every form that sets a password checks it, and shows
# it in Chinese under the new-password field): at least PASSWORD_MIN_LENGTH characters with
# PASSWORD_MIN_CHARACTER_CLASSES of upper case, lower case, digits and symbols; not the username
# or a common password; not one of the last PASSWORD_HISTORY_COUNT passwords (0: no history).
PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 8)
PASSWORD_MIN_CHARACTER_CLASSES = env_int("PASSWORD_MIN_CHARACTER_CLASSES", 3)
PASSWORD_HISTORY_COUNT = env_int("PASSWORD_HISTORY_COUNT", 5)
# A password older than this many days must be changed at the next request (0: never expires).
PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 90)
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {
        "NAME": "accounts.passwords.CharacterClassesValidator",
        "OPTIONS": {"min_classes": PASSWORD_MIN_CHARACTER_CLASSES},
    },
    {"NAME": "accounts.passwords.UsernameValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.passwords.CommonPasswordValidator"},
    # also keeps the history and stamps User.password_changed_at after every new password
    {
        "NAME": "accounts.passwords.PasswordHistoryValidator",
        "OPTIONS": {"history_count": PASSWORD_HISTORY_COUNT},
    },
]

# Sessions (accounts/sessions.py): logged out after SESSION_IDLE_MINUTES without a request and
# SESSION_ABSOLUTE_HOURS after logging in, however active (0 turns either off). The cookie and
# the stored session last no longer than the absolute lifetime either.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_ABSOLUTE_HOURS = env_int("SESSION_ABSOLUTE_HOURS", 12)
if SESSION_ABSOLUTE_HOURS > 0:
    SESSION_COOKIE_AGE = SESSION_ABSOLUTE_HOURS * 3600

# The UI is Simplified Chinese whatever the browser asks for; English becomes selectable once
# its catalogue (locale/en) is complete.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# a visitor's language choice (a signed-in person's is kept with the account): a year
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# Date formats per language (config/formats/<lang>/formats.py); letters keep Chinese dates.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env("DJANGO_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", str(BASE_DIR / "var" / "static")))
MEDIA_URL = "/media/"  # never served directly: downloads go through permission-checked views
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# The embedded run serves static files straight from static/ (no collectstatic needed);
# production serves the collected, hashed files (prod.py).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = env_bool("WHITENOISE_AUTOREFRESH", True)
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def s3_storage(bucket: str) -> dict[str, object]:
    """Uploaded files and letters in an S3-compatible bucket (AWS, MinIO, Ceph, OSS/COS in S3
    mode) so that several web and worker nodes share them. The objects stay private: downloads
    stream through the permission-checked views (proposals/files.py), never by a bucket URL."""
    options: dict[str, object] = {
        "bucket_name": bucket,
        "location": env("AWS_LOCATION"),  # key prefix inside the bucket, e.g. "jianyi/"
        "default_acl": None,  # the bucket's own policy: private
        "querystring_auth": True,  # any URL that is ever made is signed ...
        "querystring_expire": 300,  # ... and short-lived
        "file_overwrite": False,  # a second file with the same name gets a new one
        "max_memory_size": 5 * 1024 * 1024,  # a download larger than this spools to disk
    }
    # unset → boto3's own chain (AWS_* environment, instance role)
    for option, variable in (
        ("endpoint_url", "AWS_S3_ENDPOINT_URL"),  # MinIO and other S3-compatible servers
        ("region_name", "AWS_S3_REGION_NAME"),
        ("access_key", "AWS_ACCESS_KEY_ID"),
        ("secret_key", "AWS_SECRET_ACCESS_KEY"),
        ("addressing_style", "AWS_S3_ADDRESSING_STYLE"),  # "path" for most MinIO set-ups
    ):
        if env(variable):
            options[option] = env(variable)
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


# DJANGO_STORAGE: "local" (MEDIA_ROOT, one machine) or "s3"; naming a bucket implies "s3".
# (Empty counts as unset: docker-compose passes unset variables through as "".)
FILE_STORAGE = env("DJANGO_STORAGE").strip().lower() or (
    "s3" if env("AWS_STORAGE_BUCKET_NAME") else "local"
)
if FILE_STORAGE not in {"local", "s3"}:
    raise ImproperlyConfigured(f"DJANGO_STORAGE must be local or s3, not {FILE_STORAGE!r}.")
if FILE_STORAGE == "s3":
    if not env("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("DJANGO_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    STORAGES["default"] = s3_storage(env("AWS_STORAGE_BUCKET_NAME"))

# Uploads: attachments are checked by content; this is the per-file cap.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
ATTACHMENT_MAX_COUNT = env_int("ATTACHMENT_MAX_COUNT", 10)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Excel exports of up to this many rows are answered in the request; larger ones run in the
# background (proposals/exports.py).
EXPORT_SYNC_MAX_ROWS = env_int("EXPORT_SYNC_MAX_ROWS", 5000)
# Background Excel exports are kept this many days, then purged with their files (daily job).
EXPORT_KEEP_DAYS = env_int("EXPORT_KEEP_DAYS", 7)
# Uploaded import sheets are deleted this many days after upload (daily job); the items stay.
IMPORT_SHEET_KEEP_DAYS = env_int("IMPORT_SHEET_KEEP_DAYS", 30)

# Importing items from an Excel sheet (intake/): the largest file and the most rows accepted;
# sheets of more rows than IMPORT_SYNC_MAX_ROWS are imported by a background job.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 50 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 20_000)
IMPORT_SYNC_MAX_ROWS = env_int("IMPORT_SYNC_MAX_ROWS", 200)

# Celery: with no broker configured (the embedded run) tasks run in-process, and the embedded
# server runs the beat schedule below itself (config/embedded_jobs.py; never with a broker, where
# the one `celery beat` of the deployment does it).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "")
EMBEDDED_JOBS = not CELERY_BROKER_URL
CELERY_TASK_ALWAYS_EAGER = EMBEDDED_JOBS
if EMBEDDED_JOBS:
    # An eager task still takes a producer from Celery's pool; with no URL kombu assumes AMQP on
    # localhost and logs "No hostname was supplied". The in-memory transport names its host and
    # never receives anything: eager tasks run before they would be sent.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# with late acks, a task cut off by a lost connection is redelivered rather than half-done
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Publishing while Redis is down must not hold up a web request: one quick retry (it heals a
# pooled connection that Redis closed by restarting), then the caller leaves the row `pending`
# and the beat sweeps below queue it once Redis is back. Celery's default (3 retries, 0.6 s in
# all per message) made a reply with a letter and four notices take ~3 s; a blackholed host
# would wait for the OS connect timeout (minutes) without socket_connect_timeout.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": env_int("CELERY_BROKER_CONNECT_TIMEOUT", 2),
    # a broker that accepts but does not answer (hung, failover, firewall) fails a publish in
    # 3 s instead of hanging the request for ever (the worker's BRPOP waits 1 s, well below)
    "socket_timeout": env_int("CELERY_BROKER_SOCKET_TIMEOUT", 3),
    # an unacknowledged job (its worker killed outright) comes back after this long; longer than
    # any job or retry countdown (letters back off at most 16 min), else jobs would run twice
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
}
# A letter `rendering` for longer than this had its worker killed: queue_pending_letters
# renders it again (a letter takes seconds; the fault tests shorten this).
LETTER_STUCK_AFTER_SECONDS = env_int("LETTER_STUCK_AFTER_SECONDS", 15 * 60)
# 智能交办 (proposals/suggestions.py): a fitted model answers for this long before the units and
# assignments are checked for changes; a change is refitted in a background thread while the
# fitted model keeps answering (at 100 000 items a fit reads 300 000 assignments, seconds). With
# no model yet a page waits this long for the first fit, then shows no proposals until it is done.
ROUTING_RECHECK_SECONDS = env_int("ROUTING_RECHECK_SECONDS", 300)
ROUTING_FIRST_FIT_WAIT_SECONDS = env_int("ROUTING_FIRST_FIT_WAIT_SECONDS", 3)
ROUTING_FIT_IN_BACKGROUND = env_bool("ROUTING_FIT_IN_BACKGROUND", True)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "queue-pending-emails": {"task": "accounts.tasks.queue_pending_emails", "schedule": 300.0},
    "queue-pending-letters": {"task": "replies.tasks.queue_pending_letters", "schedule": 300.0},
    "purge-old-exports": {"task": "proposals.tasks.purge_old_exports", "schedule": 86400.0},
    "purge-old-import-sheets": {"task": "intake.tasks.purge_old_sheets", "schedule": 86400.0},
    "purge-login-logs": {"task": "accounts.tasks.purge_login_logs", "schedule": 86400.0},
    "clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions",
        "schedule": 86400.0,
    },
    "purge-personal-tokens": {
        "task": "accounts.tasks.purge_personal_tokens",
        "schedule": 86400.0,
    },
    "purge-audit-records": {"task": "audit.tasks.purge_audit_records", "schedule": 86400.0},
    "close-items-after-window": {
        "task": "replies.tasks.close_items_after_window",
        "schedule": 86400.0,
    },
    # the reminder sweep; REMINDER_SWEEP_SECONDS shortens it for the integration test
    "send-reminders": {
        "task": "proposals.tasks.send_reminders_task",
        "schedule": float(env_int("REMINDER_SWEEP_SECONDS", 86400)),
    },
}

# SMS reminders: the default backend only logs; set the HTTP gateway for real messages.
SMS_BACKEND = env("SMS_BACKEND", "accounts.sms.LogSMSBackend")
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN", "")

# Licensed letter fonts (仿宋_GB2312.ttf, 方正小标宋简体.ttf, 黑体.ttf, 楷体_GB2312.ttf) dropped here
# are used and embedded; otherwise the letters use Noto Serif/Sans CJK SC.
LETTER_FONT_DIR = Path(env("LETTER_FONT_DIR", str(BASE_DIR / "var" / "fonts")))
# The letter fonts reduced to GB 2312 + ASCII + punctuation (replies/fonts.py), built once by
# `manage.py prepare_letter_fonts` (or the first letter) and shared by every process.
LETTER_FONT_CACHE_DIR = Path(
    env("LETTER_FONT_CACHE_DIR", str(BASE_DIR / "var" / "cache" / "letter-fonts"))
)

# Absolute links in e-mails.
SITE_URL = env("DJANGO_SITE_URL", "http://127.0.0.1:8000")
# Outgoing mail. The embedded run writes the e-mails as files under var/mail/ for a newcomer to
# read (Django's file backend, recipients and subject readable: accounts/mail.py); production
# sends by SMTP (prod.py).
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", "accounts.mail.FileEmailBackend")
EMAIL_FILE_PATH = env("DJANGO_EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", "noreply@localhost")
EMAIL_HOST = env("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = env("DJANGO_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("DJANGO_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)  # STARTTLS, usually port 587
EMAIL_USE_SSL = env_bool("DJANGO_EMAIL_USE_SSL", False)  # implicit TLS, usually port 465

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CSRF_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy (django-csp 4): only our own scripts, styles and images; no inline
# script or style attribute anywhere (tests/test_security.py checks the templates), no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# The JSON API (api/, README "API"). Authentication: the session here; bearer tokens are added to
# DEFAULT_AUTHENTICATION_CLASSES beside it. Requests per user (or per address without a login)
# are limited to API_RATE_USER / API_RATE_ANON ("600/min", "100/hour"; "off": no limit), counted
# in the configured cache; past it, 429 with Retry-After. (Empty counts as unset.)
API_RATE_USER = env("API_RATE_USER").strip() or "600/min"
API_RATE_ANON = env("API_RATE_ANON").strip() or "120/min"
REST_FRAMEWORK = {
    # personal API tokens and the SSO provider's bearer tokens first (accounts/api_tokens.py): a
    # request without credentials gets 401 with WWW-Authenticate; then the site's own session
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_tokens.PersonalTokenAuthentication",
        "accounts.api_tokens.SSOBearerAuthentication",
        "api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttles.UserThrottle", "api.throttles.AnonThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.IdCursorPagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "建议提案办理系统 API / Suggestions and Proposals Handling API",
    "DESCRIPTION": (
        "建议提案办理系统的 JSON 接口（第1版）。权限、状态规则和错误提示与网页相同。"
        " / The versioned JSON API of the system: the same permissions, state rules and Chinese"
        " error messages as the pages."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_GENERATE_CHOICE_DESCRIPTION": True,
    "ENUM_NAME_OVERRIDES": {"RatingEnum": "replies.models.Rating"},
    "TAGS": [
        {"name": "items", "description": "建议提案：列表、详情、草稿、提交、撤案 / Items"},
        {"name": "co-signers", "description": "联名邀请 / Co-signing invitations"},
        {"name": "review", "description": "立案审查、交办、办结、重新办理 / Review to closing"},
        {"name": "handling", "description": "承办单位办理 / A unit's handling"},
        {"name": "replies", "description": "答复：撰写、送签、签发、审核 / Replies"},
        {"name": "evaluations", "description": "满意度测评 / Evaluations"},
        {"name": "notifications", "description": "通知 / Notifications"},
        {"name": "public", "description": "公开的答复（无需登录） / Disclosed replies, no login"},
    ],
}

# Login throttling (django-axes, failures kept in the database so every worker sees them):
# after AXES_FAILURE_LIMIT failed logins for one username, or from one IP, further attempts
# are refused for AXES_COOLOFF_TIME with a Chinese message (accounts.throttle.lockout_response).
# A success resets the count. Behind a reverse proxy set DJANGO_PROXY_COUNT (prod: 1) so the
# client's address comes from X-Forwarded-For rather than the proxy's.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
# either the username or the address locks (an SSO callback has no username: its address)
AXES_LOCKOUT_PARAMETERS = "accounts.throttle.lockout_parameters"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.throttle.client_ip"
AXES_USERNAME_CALLABLE = "accounts.throttle.client_username"
AXES_VERBOSE = False
# failed logins are kept (AccessFailureLog) so that a login can say how many came since the
# previous one (accounts.sessions); purged with the other login records
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# login records (who logged in when, and failed attempts) are kept this long (daily purge)
LOGIN_LOG_KEEP_DAYS = env_int("LOGIN_LOG_KEEP_DAYS", 180)
PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", 0)
# The addresses (or CIDR networks) of those proxies. X-Forwarded-For is read only from a request
# that comes from one of them (accounts.throttle.client_ip): a client reaching gunicorn directly
# cannot rotate the header to escape the lock on its address. Default: loopback, and the
# 172.16.0.0/12 pool Docker gives its bridge networks (the host's TLS proxy reaches the web
# container through the network's gateway, e.g. 172.18.0.1). Narrow it to the proxy's own address
# where clients themselves sit in 172.16.0.0/12 and can reach gunicorn. (Empty counts as unset:
# docker-compose passes unset variables through as "".)
TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES") or ["127.0.0.1", "::1", "172.16.0.0/12"]
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(
            f"DJANGO_TRUSTED_PROXIES: {_proxy!r} is not an address or a network (CIDR)."
        ) from _exc

# Single sign-on through an OpenID Connect provider (accounts/sso.py, mozilla-django-oidc; README
# "Security"). Off unless OIDC_ENABLED; then the client registration and the provider's endpoints
# (its /.well-known/openid-configuration lists them) are required. Empty counts as unset.
OIDC_ENABLED = env_bool("OIDC_ENABLED", False)
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT")
# the provider's end_session_endpoint: logging out here ends the provider's session too
OIDC_OP_LOGOUT_ENDPOINT = env("OIDC_OP_LOGOUT_ENDPOINT")
OIDC_OP_LOGOUT_URL_METHOD = env("OIDC_OP_LOGOUT_URL_METHOD") or "accounts.sso.provider_logout_url"
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO") or "RS256"
OIDC_RP_SCOPES = env("OIDC_RP_SCOPES") or "openid email profile"
OIDC_USE_PKCE = env_bool("OIDC_USE_PKCE", True) if env("OIDC_USE_PKCE").strip() else True
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)  # seconds for each call to the provider
# a private CA's bundle (PEM file) for the provider's certificate; unset: the system's CAs
OIDC_VERIFY_SSL: bool | str = env("OIDC_CA_BUNDLE") or True
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the provider logout
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:sso_callback"
# the claim whose value is the local user's username (preferred_username, sub, employee_id …)
OIDC_USERNAME_CLAIM = env("OIDC_USERNAME_CLAIM") or "preferred_username"
# a person the provider knows and we do not: "refuse", or "create_inactive" (an inactive member
# account is made and the administrators are told to check it, give it a role and enable it)
OIDC_UNKNOWN_USER = env("OIDC_UNKNOWN_USER") or "refuse"
# false: only the single sign-on logs in, except the break-glass LOCAL_PASSWORD_USERS (e.g. the
# administrator, for when the provider is down), who keep their passwords
LOCAL_PASSWORD_LOGIN = (
    env_bool("LOCAL_PASSWORD_LOGIN", True) if env("LOCAL_PASSWORD_LOGIN").strip() else True
)
LOCAL_PASSWORD_USERS = env_list("LOCAL_PASSWORD_USERS")
if OIDC_UNKNOWN_USER not in {"refuse", "create_inactive"}:
    raise ImproperlyConfigured(
        f"OIDC_UNKNOWN_USER must be refuse or create_inactive, not {OIDC_UNKNOWN_USER!r}."
    )
if OIDC_ENABLED:
    _missing = [
        name
        for name in (
            "OIDC_RP_CLIENT_ID",
            "OIDC_RP_CLIENT_SECRET",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
        )
        + (("OIDC_OP_JWKS_ENDPOINT",) if OIDC_RP_SIGN_ALGO.startswith(("RS", "ES")) else ())
        if not env(name)
    ]
    if _missing:
        raise ImproperlyConfigured(f"OIDC_ENABLED=true needs {', '.join(_missing)}.")
    AUTHENTICATION_BACKENDS.append("accounts.sso.SSOBackend")
elif not LOCAL_PASSWORD_LOGIN:
    raise ImproperlyConfigured("LOCAL_PASSWORD_LOGIN=false needs OIDC_ENABLED=true.")

# API authentication (accounts/api_tokens.py; README "API tokens"). Personal API tokens: the
# longest expiry a user may choose (of 30/90/180/365 days), how many usable tokens one user may
# have (0: no limit), and how long expired or revoked tokens are kept before the daily purge.
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)
API_TOKEN_MAX_PER_USER = env_int("API_TOKEN_MAX_PER_USER", 10)
API_TOKEN_PURGE_AFTER_DAYS = env_int("API_TOKEN_PURGE_AFTER_DAYS", 30)
# With OIDC_ENABLED, a provider's access token is checked at its userinfo endpoint; the answer
# is remembered this many seconds (a revoked provider token keeps working at most this long).
OIDC_BEARER_CACHE_SECONDS = env_int("OIDC_BEARER_CACHE_SECONDS", 60)
# The provider's token introspection endpoint (RFC 7662; its discovery document's
# introspection_endpoint): when set, a provider's token must be active and issued to one of
# OIDC_BEARER_AUDIENCES (client ids; empty: this site's OIDC_RP_CLIENT_ID). Unset: any token the
# userinfo endpoint accepts, whichever client of the provider it was issued to.
OIDC_OP_INTROSPECTION_ENDPOINT = env("OIDC_OP_INTROSPECTION_ENDPOINT")
OIDC_BEARER_AUDIENCES = env_list("OIDC_BEARER_AUDIENCES")
if API_TOKEN_MAX_DAYS < 1:
    raise ImproperlyConfigured("API_TOKEN_MAX_DAYS must be at least 1.")
# Second factor (两步验证, accounts.two_factor): a TOTP authenticator app and recovery codes.
# OTP_REQUIRED_ROLES: the roles (comma list of Role values) that must use it; others may. Empty
# in the embedded run, so that the README's demo logins need no phone; prod.py requires it of
# the supervisors and the three administrators.
OTP_REQUIRED_ROLES = env_list("OTP_REQUIRED_ROLES", "")
# the name the authenticator app shows beside the account
OTP_TOTP_ISSUER = env("OTP_ISSUER", "建议提案办理系统")
# wrong codes: after n failures the next try waits factor × 2^(n-1) seconds (django-otp), for
# the app's codes and the recovery codes alike; 0 turns throttling off
OTP_TOTP_THROTTLE_FACTOR = env_int("OTP_THROTTLE_FACTOR", 1)
OTP_STATIC_THROTTLE_FACTOR = env_int("OTP_THROTTLE_FACTOR", 1)

# The security audit trail (audit/): records are kept this many days, then purged by a daily job
# that records its own purge (production refuses fewer than 180). Each record's hash is an HMAC
# keyed by AUDIT_CHAIN_KEY (empty: the SECRET_KEY); set it apart from the SECRET_KEY so that the
# SECRET_KEY can be changed without making every existing record fail verify_audit.
AUDIT_KEEP_DAYS = env_int("AUDIT_KEEP_DAYS", 180)
AUDIT_CHAIN_KEY = env("AUDIT_CHAIN_KEY", "")
AUDIT_PAGE_SIZE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # every login otherwise logs three INFO lines
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "celery.app.trace": {"level": env("CELERY_TRACE_LOG_LEVEL", "WARNING")},
    },
}
