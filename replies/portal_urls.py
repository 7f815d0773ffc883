from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import portal

app_name = "portal"

urlpatterns = [
    path("", portal.portal_index, name="index"),
    path("replies/<int:pk>/", portal.portal_reply, name="reply"),
    path("replies/<int:pk>/letter.pdf", portal.portal_letter, name="letter"),
    path("feed/", portal.NewRepliesFeed(), name="feed"),
    path("sitemap.xml", sitemap, {"sitemaps": {"replies": portal.ReplySitemap}}, name="sitemap"),
]
