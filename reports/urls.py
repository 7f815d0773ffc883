from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.report_index, name="index"),
    path("<int:pk>/", views.report_status, name="status"),
    path("<int:pk>/report.<str:fmt>", views.report_download, name="download"),
]
