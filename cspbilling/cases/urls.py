from django.urls import path

from cspbilling.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_queue, name="queue"),
    path("sla/", views.sla_report, name="sla_report"),
    path("canned-responses/", views.canned_responses, name="canned_responses"),
    path("<str:reference>/", views.case_detail, name="case_detail"),
    path("<str:reference>/act/", views.case_act, name="case_act"),
    path("<str:reference>/attachments/<int:pk>/", views.attachment, name="attachment"),
]
