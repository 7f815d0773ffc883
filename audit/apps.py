from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("安全审计")

    def ready(self) -> None:
        # connects the receivers of accounts.signals.security_event and Django's login signals
        from . import receivers  # noqa: F401
