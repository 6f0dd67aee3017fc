from django.urls import path

from cspbilling.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("console/people/", views.people, name="people"),
    path("console/people/<int:user_id>/unlock/", views.unlock, name="unlock"),
]
