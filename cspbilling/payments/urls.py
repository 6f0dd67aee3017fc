from django.urls import path

from cspbilling.payments import report_views, statement_views, views

app_name = "payments"
urlpatterns = [
    path("", views.payment_list, name="payment_list"),
    path("<int:pk>/", views.payment_detail, name="payment_detail"),
    path("<int:pk>/allocate/", views.allocate, name="allocate"),
    path("<int:pk>/reverse/", views.reverse, name="reverse"),
    path("aging/", report_views.aging, name="aging"),
    path("bank-statements/", statement_views.statements, name="statements"),
    path("bank-statements/lines/<int:pk>/assign/", statement_views.assign, name="assign_line"),
    path("margin/", report_views.margin, name="margin"),
    path("cash/", report_views.cash, name="cash"),
    path("statements/<uuid:tenant_id>/", report_views.statement, name="statement"),
    path("statements/<uuid:tenant_id>/refund/", views.refund, name="refund"),
]
