from django.urls import path

from cspbilling.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.sync_status, name="sync_status"),
    path("run/", views.sync_now, name="sync_now"),
]
