from django.urls import path

from cspbilling.subscriptions import views

app_name = "subscriptions"
urlpatterns = [
    path("suspensions/", views.suspension_list, name="suspension_list"),
    path("suspensions/<int:suspension_id>/", views.suspension_detail, name="suspension_detail"),
    path("<str:subscription_id>/suspend/", views.suspend, name="suspend"),
    path("<str:subscription_id>/reactivate/", views.reactivate, name="reactivate"),
]
