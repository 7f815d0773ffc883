from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("用户与单位")
    default = True  # this module holds a second AppConfig (below): "accounts" means this one

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks

        from . import checks as separation_checks  # noqa: F401  (registers the 三员分立 check)
        from . import two_factor  # importing it connects the login receiver
        from .sessions import note_login

        # session clocks and the previous-login notice, for every way of logging in
        user_logged_in.connect(note_login, dispatch_uid="accounts.sessions.note_login")
        checks.register(two_factor.check_required_roles, checks.Tags.security)


class AxesConfig(AxesAppConfig):
    """django-axes (login throttling, accounts.throttle) under a Chinese name in the admin: the
    package gives its app no verbose name, so the admin would show "Axes". Installed as
    "accounts.apps.AxesConfig" in INSTALLED_APPS."""

    verbose_name = _("登录记录")
    default = False


class SeparatedAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the 三员分立 site (accounts/separation.py): installed as
    "accounts.apps.SeparatedAdminConfig" in place of "django.contrib.admin"."""

    default_site = "accounts.separation.SeparatedAdminSite"
    default = False
