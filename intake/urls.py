from django.urls import path

from . import views

app_name = "intake"

urlpatterns = [
    path("", views.index, name="index"),
    path("template/", views.template, name="template"),
    path("<int:pk>/", views.batch_detail, name="batch"),
    path("<int:pk>/accept/", views.batch_accept, name="accept"),
]
