from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MemberRecordsConfig(AppConfig):
    name = "member_records"
    verbose_name = _("履职档案")
