from django.urls import path

from cspbilling.collections import policy_views, views

app_name = "collections"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("run/", views.run, name="run"),
    path("pause/", views.pause, name="pause"),
    path("actions/<int:pk>/decide/", views.decide, name="decide"),
    path("actions/<int:pk>/close/", views.close_task, name="close_task"),
    path("customers/<uuid:tenant_id>/", views.customer, name="customer"),
    path("customers/<uuid:tenant_id>/hold/", views.hold, name="hold"),
    path(
        "customers/<uuid:tenant_id>/signed-copy/",
        policy_views.record_signed_copy,
        name="signed_copy",
    ),
    path("policies/", policy_views.policy_list, name="policies"),
    path("policies/versions/<int:pk>/", policy_views.version_detail, name="version"),
    path("policies/versions/<int:pk>/publish/", policy_views.publish, name="publish"),
]
