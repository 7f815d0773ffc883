from django.urls import path

from . import views

app_name = "member_records"

urlpatterns = [
    path("", views.member_list, name="list"),
    path("export/", views.member_export, name="export"),
    path("me/", views.my_record, name="me"),
    path("<int:user_id>/", views.member_record, name="record"),
]
