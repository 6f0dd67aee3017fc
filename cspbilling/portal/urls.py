from django.urls import path

from cspbilling.portal import case_views, policy_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("invoices/", views.invoices, name="invoices"),
    path("statement/", views.statement, name="statement"),
    path("collections-policy/", policy_views.policy, name="policy"),
    path("collections-policy.pdf", policy_views.policy_pdf, name="policy_pdf"),
    path("collections-policy/acknowledge/", policy_views.acknowledge, name="acknowledge_policy"),
    path("invoices/<str:number>.pdf", views.invoice_pdf, name="invoice_pdf"),
    path("credit-notes/<str:number>.pdf", views.credit_note_pdf, name="credit_note_pdf"),
    path(
        "subscriptions/<str:subscription_id>/",
        views.subscription_detail,
        name="subscription_detail",
    ),
    path("cases/", case_views.cases, name="cases"),
    path("cases/new/", case_views.case_new, name="case_new"),
    path("cases/respond/<str:token>/", case_views.case_action, name="case_action"),
    path("cases/<str:reference>/", case_views.case_detail, name="case_detail"),
    path("cases/<str:reference>/respond/", case_views.case_respond, name="case_respond"),
]
