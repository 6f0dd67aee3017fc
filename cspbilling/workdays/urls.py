from django.urls import path

from cspbilling.workdays import views

app_name = "workdays"
urlpatterns = [
    path("", views.calendar_page, name="calendar"),
    path("<str:day>/remove/", views.remove_day, name="remove_day"),
]
