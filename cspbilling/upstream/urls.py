from django.urls import path

from cspbilling.upstream import views

app_name = "upstream"
urlpatterns = [
    path("", views.invoice_list, name="invoice_list"),
    path("invoices/<str:invoice_id>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<str:invoice_id>/payments/", views.record_payment, name="record_payment"),
    path("import/", views.upload, name="upload"),
    path("import/<int:pk>/", views.batch, name="batch"),
    path("payables/", views.payables, name="payables"),
    path("discrepancies/", views.discrepancy_report, name="discrepancies"),
    path("customers/<uuid:tenant_id>/numbers/", views.customer_numbers, name="customer_numbers"),
]
