from django.urls import path

from cspbilling.sync import views

app_name = "sync"
urlpatterns = [
    path("", views.sync_status, name="status"),
    path("run/", views.sync_now, name="run"),
]
