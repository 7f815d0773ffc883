from django.urls import path

from . import views

app_name = "proposals"

urlpatterns = [
    path("", views.proposal_list, name="list"),
    path("new/", views.proposal_create, name="create"),
    path("review/", views.review_queue, name="review_queue"),
    path("invitations/", views.invitation_list, name="invitations"),
    path("<int:pk>/", views.proposal_detail, name="detail"),
    path("<int:pk>/edit/", views.proposal_edit, name="edit"),
    path("<int:pk>/submit/", views.proposal_submit, name="submit"),
    path("<int:pk>/withdraw/", views.proposal_withdraw, name="withdraw"),
    path("<int:pk>/cosigners/", views.cosigner_invite, name="cosigner_invite"),
    path("<int:pk>/review/", views.proposal_review, name="review"),
    path("cosigners/<int:pk>/cancel/", views.cosigner_cancel, name="cosigner_cancel"),
    path("cosigners/<int:pk>/respond/", views.cosigner_respond, name="cosigner_respond"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("attachments/<int:pk>/delete/", views.attachment_delete, name="attachment_delete"),
]
