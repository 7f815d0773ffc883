from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from config.views import favicon

admin.site.site_header = _("建议提案办理系统 · 管理")
admin.site.site_title = _("建议提案办理系统")

urlpatterns = [
    path("", include("workbench.urls")),
    path("", include("accounts.urls")),
    # before proposals: /items/import/ is the intake app's, not an item
    path("items/import/", include("intake.urls")),
    path("items/", include("proposals.urls")),
    path("replies/", include("replies.urls")),
    path("reports/", include("reports.urls")),
    path("public/", include("replies.portal_urls")),
    path("compilation/", include("compilation.urls")),
    path("records/", include("member_records.urls")),
    path("audit/", include("audit.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon, name="favicon"),
]

# a Chinese error page; 503 with Retry-After while the database is unreachable (config/errors.py)
handler500 = "config.errors.server_error"
handler404 = "config.errors.not_found"
handler403 = "config.errors.forbidden"
