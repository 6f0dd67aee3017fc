from django.urls import path

from cspbilling.web import views

app_name = "web"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/<uuid:tenant_id>/", views.customer_detail, name="customer_detail"),
    path("customers/<uuid:tenant_id>/edit/", views.customer_edit, name="customer_edit"),
]
