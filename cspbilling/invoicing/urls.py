from django.urls import path

from cspbilling.invoicing import credit_views, views

app_name = "invoicing"
urlpatterns = [
    path("pricing/", views.price_rules, name="price_rules"),
    path("pricing/rules/<int:pk>/end/", views.end_price_rule, name="end_price_rule"),
    path("pricing/groups/", views.create_group, name="create_group"),
    path("pricing/customers/<uuid:tenant_id>/group/", views.assign_group, name="assign_group"),
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("invoices/run/", views.run_billing, name="run_billing"),
    path("invoices/runs/<int:pk>/", views.billing_run, name="billing_run"),
    path("invoices/issue/", views.issue_drafts, name="issue_drafts"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path(
        "invoices/<int:pk>/discard/",
        views.discard_supplementary_invoice,
        name="discard_supplementary_invoice",
    ),
    path("invoices/<int:pk>/lines/<int:line_pk>/", views.line_trace, name="line_trace"),
    path("invoices/<int:pk>/credit/", credit_views.credit_invoice, name="credit_invoice"),
    path("invoices/<int:pk>/fapiao/", credit_views.request_fapiao, name="request_fapiao"),
    path("credit-notes/", credit_views.credit_note_list, name="credit_note_list"),
    path("credit-notes/<int:pk>/", credit_views.credit_note_detail, name="credit_note_detail"),
    path("credit-notes/<int:pk>/pdf/", credit_views.credit_note_pdf, name="credit_note_pdf"),
    path("credit-notes/<int:pk>/issue/", credit_views.issue_credit_note, name="issue_credit_note"),
    path(
        "credit-notes/<int:pk>/discard/",
        credit_views.discard_credit_note,
        name="discard_credit_note",
    ),
    path("fapiao/", credit_views.fapiao_list, name="fapiao_list"),
    path("fapiao/<int:pk>/issued/", credit_views.record_fapiao, name="record_fapiao"),
]
