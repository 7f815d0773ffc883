from django.urls import path

from .views import exports as export_views
from .views import handling, items, urging

app_name = "proposals"

urlpatterns = [
    path("", items.proposal_list, name="list"),
    path("new/", items.proposal_create, name="create"),
    path("precheck/", items.proposal_precheck, name="precheck"),
    path("review/", items.review_queue, name="review_queue"),
    path("assign/", handling.assign_queue, name="assign_queue"),
    path("assign/accuracy/", handling.routing_accuracy, name="routing_accuracy"),
    path("requests/", handling.request_queue, name="request_queue"),
    path("invitations/", items.invitation_list, name="invitations"),
    path("work/", handling.unit_workspace, name="unit_workspace"),
    path("<int:pk>/", items.proposal_detail, name="detail"),
    path("<int:pk>/edit/", items.proposal_edit, name="edit"),
    path("<int:pk>/submit/", items.proposal_submit, name="submit"),
    path("<int:pk>/withdraw/", items.proposal_withdraw, name="withdraw"),
    path("<int:pk>/cosigners/", items.cosigner_invite, name="cosigner_invite"),
    path("<int:pk>/review/", items.proposal_review, name="review"),
    path("<int:pk>/assign/", handling.proposal_assign, name="assign"),
    path("cosigners/<int:pk>/cancel/", items.cosigner_cancel, name="cosigner_cancel"),
    path("cosigners/<int:pk>/respond/", items.cosigner_respond, name="cosigner_respond"),
    path("attachments/<int:pk>/", items.attachment_download, name="attachment"),
    path("attachments/<int:pk>/delete/", items.attachment_delete, name="attachment_delete"),
    path("assignments/<int:pk>/accept/", handling.assignment_accept, name="assignment_accept"),
    path("assignments/<int:pk>/return/", handling.return_request_create, name="return_request"),
    path(
        "assignments/<int:pk>/extend/", handling.extension_request_create, name="extension_request"
    ),
    path("assignments/<int:pk>/opinion/", handling.co_opinion_edit, name="co_opinion"),
    path("assignments/<int:pk>/contacts/new/", handling.contact_create, name="contact_create"),
    path("returns/<int:pk>/", handling.return_request_decide, name="return_decide"),
    path("extensions/<int:pk>/", handling.extension_request_decide, name="extension_decide"),
    path("opinions/<int:pk>/decide/", handling.co_opinion_decide, name="co_opinion_decide"),
    path("contacts/<int:pk>/respond/", handling.contact_respond, name="contact_respond"),
    path("export.xlsx", export_views.export_items, name="export_items"),
    path("export/columns/", export_views.export_columns, name="export_columns"),
    path("work/export.xlsx", export_views.export_workspace, name="export_workspace"),
    path("follow-ups/export.xlsx", export_views.export_follow_ups, name="export_follow_ups"),
    path("exports/<int:pk>/", export_views.export_status, name="export_status"),
    path("exports/<int:pk>/download/", export_views.export_download, name="export_download"),
]

# 督办仪表盘 and 单位考评 (proposals/views/supervision.py)
from .views import supervision  # noqa: E402

urlpatterns += [
    path("dashboard/", supervision.dashboard, name="dashboard"),
    path("scorecards/", supervision.scorecards, name="scorecards"),
    path("scorecards/export.xlsx", supervision.scorecards_export, name="scorecards_export"),
    path("urging/", urging.urging_index, name="urging"),
    path("urging/<int:unit_id>/send/", urging.urging_send, name="urging_send"),
    path("urging/notices/<int:pk>.pdf", urging.urging_notice, name="urging_notice"),
]
