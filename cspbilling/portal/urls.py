from django.urls import path

from cspbilling.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("invoices/", views.invoices, name="invoices"),
    path("statement/", views.statement, name="statement"),
    path("invoices/<str:number>.pdf", views.invoice_pdf, name="invoice_pdf"),
    path("credit-notes/<str:number>.pdf", views.credit_note_pdf, name="credit_note_pdf"),
    path(
        "subscriptions/<str:subscription_id>/",
        views.subscription_detail,
        name="subscription_detail",
    ),
]
