"""/api/: the versioned API under v1/, its OpenAPI schema and the docs page."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from .docs_page import api_docs
from .views import handling, items, public, replies

app_name = "api"

v1 = [
    path("items/", items.ItemListView.as_view(), name="item-list"),
    path("items/<int:pk>/", items.ItemDetailView.as_view(), name="item-detail"),
    path("items/<int:pk>/submit/", items.ItemSubmitView.as_view(), name="item-submit"),
    path("items/<int:pk>/withdraw/", items.ItemWithdrawView.as_view(), name="item-withdraw"),
    path(
        "items/<int:pk>/cosigners/",
        items.ItemCosignerInviteView.as_view(),
        name="item-cosigner-invite",
    ),
    path("items/<int:pk>/review/", items.ItemReviewView.as_view(), name="item-review"),
    path("items/<int:pk>/assign/", items.ItemAssignView.as_view(), name="item-assign"),
    path("items/<int:pk>/close/", items.ItemCloseView.as_view(), name="item-close"),
    path("items/<int:pk>/rehandle/", items.ItemRehandleView.as_view(), name="item-rehandle"),
    path("invitations/", items.InvitationListView.as_view(), name="invitation-list"),
    path(
        "invitations/<int:pk>/respond/",
        items.InvitationRespondView.as_view(),
        name="invitation-respond",
    ),
    path(
        "invitations/<int:pk>/cancel/",
        items.InvitationCancelView.as_view(),
        name="invitation-cancel",
    ),
    path("assignments/", handling.AssignmentListView.as_view(), name="assignment-list"),
    path(
        "assignments/<int:pk>/accept/",
        handling.AssignmentAcceptView.as_view(),
        name="assignment-accept",
    ),
    path(
        "assignments/<int:pk>/return-requests/",
        handling.ReturnRequestCreateView.as_view(),
        name="return-request-create",
    ),
    path(
        "assignments/<int:pk>/extension-requests/",
        handling.ExtensionRequestCreateView.as_view(),
        name="extension-request-create",
    ),
    path(
        "assignments/<int:pk>/contacts/",
        handling.ContactCreateView.as_view(),
        name="contact-create",
    ),
    path(
        "assignments/<int:pk>/co-opinion/",
        handling.CoOpinionSaveView.as_view(),
        name="co-opinion-save",
    ),
    path("assignments/<int:pk>/reply/", replies.ReplyStartView.as_view(), name="reply-start"),
    path(
        "return-requests/<int:pk>/decide/",
        handling.ReturnRequestDecideView.as_view(),
        name="return-request-decide",
    ),
    path(
        "extension-requests/<int:pk>/decide/",
        handling.ExtensionRequestDecideView.as_view(),
        name="extension-request-decide",
    ),
    path(
        "contacts/<int:pk>/respond/", handling.ContactRespondView.as_view(), name="contact-respond"
    ),
    path(
        "co-opinions/<int:pk>/decide/",
        handling.CoOpinionDecideView.as_view(),
        name="co-opinion-decide",
    ),
    path("replies/", replies.ReplyListView.as_view(), name="reply-list"),
    path("replies/<int:pk>/", replies.ReplyDetailView.as_view(), name="reply-detail"),
    path("replies/<int:pk>/submit/", replies.ReplySubmitView.as_view(), name="reply-submit"),
    path("replies/<int:pk>/sign/", replies.ReplySignView.as_view(), name="reply-sign"),
    path(
        "replies/<int:pk>/send-back/", replies.ReplySendBackView.as_view(), name="reply-send-back"
    ),
    path("replies/<int:pk>/approve/", replies.ReplyApproveView.as_view(), name="reply-approve"),
    path("replies/<int:pk>/evaluate/", replies.ReplyEvaluateView.as_view(), name="reply-evaluate"),
    path("evaluations/", replies.EvaluationListView.as_view(), name="evaluation-list"),
    path("notifications/", public.NotificationListView.as_view(), name="notification-list"),
    path(
        "notifications/<int:pk>/read/",
        public.NotificationReadView.as_view(),
        name="notification-read",
    ),
    path(
        "notifications/read-all/",
        public.NotificationReadAllView.as_view(),
        name="notification-read-all",
    ),
    path("public/replies/", public.PublicReplyListView.as_view(), name="public-reply-list"),
    path(
        "public/replies/<int:pk>/",
        public.PublicReplyDetailView.as_view(),
        name="public-reply-detail",
    ),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", api_docs, name="docs"),
]
