"""A real OpenID Connect provider for tests/test_sso.py: a tiny Django project around
django-oidc-provider, run as its own process on loopback with its own SQLite file.

`prepare` migrates its database, makes its RSA signing key, registers our application as a
confidential client and creates the provider's users; then `python -m django runserver` with
DJANGO_SETTINGS_MODULE=tests.oidc_provider.settings serves it.
"""
