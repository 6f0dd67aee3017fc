from django.urls import path

from cspbilling.escalations import views

app_name = "escalations"
urlpatterns = [
    path("", views.escalation_list, name="list"),
    path("report/", views.escalation_report, name="report"),
    path("new/<str:case_reference>/", views.escalation_new, name="new"),
    path("<str:reference>/", views.escalation_detail, name="detail"),
    path("<str:reference>/lines.csv", views.escalation_csv, name="csv"),
    path("<str:reference>/act/", views.escalation_act, name="act"),
]
