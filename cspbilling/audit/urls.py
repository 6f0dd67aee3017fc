from django.urls import path

from cspbilling.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("object/", views.object_events, name="object_events"),
    path("verify/", views.verify, name="verify"),
    path("verify/status/", views.verification_status, name="verification_status"),
]
