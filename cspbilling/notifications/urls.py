from django.urls import path

from cspbilling.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.message_list, name="message_list"),
    path("<int:message_id>/", views.message_detail, name="message_detail"),
    path("<int:message_id>/retry/", views.message_retry, name="message_retry"),
    path("<int:message_id>/cancel/", views.message_cancel, name="message_cancel"),
]
