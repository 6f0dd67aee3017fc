from django.urls import path

from cspbilling.payments import report_views, views

app_name = "payments"
urlpatterns = [
    path("", views.payment_list, name="payment_list"),
    path("<int:pk>/", views.payment_detail, name="payment_detail"),
    path("<int:pk>/allocate/", views.allocate, name="allocate"),
    path("<int:pk>/reverse/", views.reverse, name="reverse"),
    path("aging/", report_views.aging, name="aging"),
    path("margin/", report_views.margin, name="margin"),
    path("cash/", report_views.cash, name="cash"),
    path("statements/<uuid:tenant_id>/", report_views.statement, name="statement"),
]
