from django.urls import path

from cspbilling.invoicing import views

app_name = "invoicing"
urlpatterns = [
    path("", views.price_rules, name="price_rules"),
    path("rules/<int:pk>/end/", views.end_price_rule, name="end_price_rule"),
    path("groups/", views.create_group, name="create_group"),
    path("customers/<uuid:tenant_id>/group/", views.assign_group, name="assign_group"),
]
