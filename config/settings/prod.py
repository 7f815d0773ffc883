"""Production: everything from the environment, refuse unsafe values."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import AUDIT_KEEP_DAYS, SECRET_KEY, STORAGES, env, env_bool, env_int, env_list

DEBUG = False
if SECRET_KEY.startswith("insecure-") or len(SECRET_KEY) < 40:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a long random value in production."
    )
if not env("POSTGRES_DB"):
    raise ImproperlyConfigured("Production runs on PostgreSQL: set POSTGRES_DB and friends.")

# Mail goes out by SMTP (DJANGO_EMAIL_HOST, _PORT, _HOST_USER, _HOST_PASSWORD, _USE_TLS/_SSL),
# not to files as in the embedded run.
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

# uploads and letters: base.py's choice (the media folder, or the S3 bucket of DJANGO_STORAGE)
STORAGES = {
    "default": STORAGES["default"],
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
WHITENOISE_AUTOREFRESH = False
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# "preload" only makes the domain eligible for the browsers' preload list (its owner still has
# to submit it); the site is HTTPS-only with includeSubDomains already. false leaves it out.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The TLS reverse proxy in front (docker-compose.yml): login throttling takes the client's address
# from the X-Forwarded-For entry it adds (accounts.throttle.client_ip).
PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", 1)

# The second factor is required of the supervisory office and the three administrators
# (三员分立) unless OTP_REQUIRED_ROLES says otherwise (accounts.two_factor).
OTP_REQUIRED_ROLES = env_list(
    "OTP_REQUIRED_ROLES", "supervisor,administrator,security_admin,audit_admin"
)

# 等级保护 asks for at least six months of audit records.
if AUDIT_KEEP_DAYS < 180:
    raise ImproperlyConfigured("AUDIT_KEEP_DAYS must be at least 180 in production.")

# 三员分立: `migrate` (and `check --database default`) refuse active superuser accounts
# (accounts/checks.py); the three administrators are three accounts with three roles.
REFUSE_SUPERUSERS = True
