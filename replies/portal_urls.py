from django.contrib.sitemaps.views import sitemap
from django.urls import path

from accounts.language import in_chinese

from . import portal

app_name = "portal"

# The public portal publishes the office's official texts: Chinese for every visitor.
urlpatterns = [
    path("", in_chinese(portal.portal_index), name="index"),
    path("replies/<int:pk>/", in_chinese(portal.portal_reply), name="reply"),
    path("replies/<int:pk>/letter.pdf", in_chinese(portal.portal_letter), name="letter"),
    path("feed/", in_chinese(portal.NewRepliesFeed()), name="feed"),
    path(
        "sitemap.xml",
        in_chinese(sitemap),
        {"sitemaps": {"replies": portal.ReplySitemap}},
        name="sitemap",
    ),
]
