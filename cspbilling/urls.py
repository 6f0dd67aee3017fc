from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("cspbilling.accounts.urls")),
    path("console/upstream/", include("cspbilling.upstream.urls")),
    path("console/", include("cspbilling.invoicing.urls")),  # pricing/, invoices/
    path("console/payments/", include("cspbilling.payments.urls")),
    path("console/calendar/", include("cspbilling.workdays.urls")),
    path("console/cases/", include("cspbilling.cases.urls")),
    path("console/escalations/", include("cspbilling.escalations.urls")),
    path("console/outbox/", include("cspbilling.notifications.urls")),
    path("console/audit/", include("cspbilling.audit.urls")),
    path("console/sync/", include("cspbilling.sync.urls")),
    path("console/subscriptions/", include("cspbilling.subscriptions.urls")),
    path("console/collections/", include("cspbilling.collections.urls")),
    path("console/", include("cspbilling.web.urls")),
    path("portal/", include("cspbilling.portal.urls")),
    path("api/v1/", include("cspbilling.api.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
