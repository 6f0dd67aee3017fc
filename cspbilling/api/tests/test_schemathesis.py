"""Property-based run of schemathesis over our own OpenAPI schema, against the WSGI app
(`cspbilling.wsgi`, what `cspbilling serve` runs)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from cspbilling.wsgi import application

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    # As Django's test client does: a request must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def schemathesis_token(staff_users, api_token_for, customer_a, customer_b, imported_invoice) -> str:
    # readonly: every write is refused (403) after validation, so the walk changes nothing.
    return api_token_for(staff_users["readonly"])


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
def test_api_never_500s_and_conforms(case, schemathesis_token):
    # negative_data_rejection is left out: unknown query parameters are ignored on purpose, and
    # its "missing Authorization" mutation is undone by the token we send (401 is tested apart).
    case.call_and_validate(
        headers={"Authorization": f"Bearer {schemathesis_token}"},
        excluded_checks=[schemathesis.checks.negative_data_rejection],
    )


@pytest.fixture
def finance_token(staff_users, api_token_for, customer_a) -> str:
    return api_token_for(staff_users["finance"])


@schema.include(
    path_regex="^/api/v1/(price-rules|customer-groups|customers/[^/]+/group)"
).parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
def test_pricing_writes_never_500_whatever_finance_sends(case, finance_token):
    # A role that may write, so the bodies reach the services: a bad one is a 422, never a 500.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {finance_token}"},
        excluded_checks=[schemathesis.checks.negative_data_rejection],
    )
