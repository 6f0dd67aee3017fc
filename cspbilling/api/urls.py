from django.urls import path, re_path

from cspbilling.api.api import api
from cspbilling.api.docs import docs_asset
from cspbilling.api.problems import not_found_view

app_name = "api"
urlpatterns = [
    path("docs/assets/<str:name>", docs_asset, name="docs_asset"),
    *api.urls[0],
    re_path(r"^.*$", not_found_view),
]
