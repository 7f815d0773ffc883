from django.urls import path

from . import views

app_name = "replies"

urlpatterns = [
    path("start/<int:assignment_pk>/", views.reply_start, name="start"),
    path("review/", views.review_queue, name="review_queue"),
    path("letters/", views.letters_by_meeting, name="letters"),
    path("letters/<int:pk>.zip", views.meeting_letters_zip, name="letters_zip"),
    path("<int:pk>/", views.reply_detail, name="detail"),
    path("<int:pk>/edit/", views.reply_edit, name="edit"),
    path("<int:pk>/sign/", views.reply_sign, name="sign"),
    path("<int:pk>/send-back/", views.reply_send_back, name="send_back"),
    path("<int:pk>/approve/", views.reply_approve, name="approve"),
    path("<int:pk>/correct/", views.reply_correct, name="correct"),
    path("<int:pk>/preview.pdf", views.reply_preview, name="preview"),
    path("<int:pk>/letter.pdf", views.letter_download, name="letter"),
    path("<int:pk>/evaluate/", views.evaluation_submit, name="evaluate"),
    path("<int:pk>/evaluate/paper/", views.evaluation_paper, name="evaluate_paper"),
    path("evaluations/<int:pk>/revise/", views.evaluation_revise, name="evaluation_revise"),
    path("items/<int:pk>/rehandle/", views.proposal_rehandle, name="rehandle"),
    path("items/<int:pk>/close/", views.proposal_close, name="close"),
    path("<int:pk>/follow-up/", views.follow_up, name="follow_up"),
    path("follow-ups/", views.follow_up_list, name="follow_ups"),
]
