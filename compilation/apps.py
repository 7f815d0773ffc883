from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompilationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "compilation"
    verbose_name = _("汇编")
