from __future__ import annotations

import json
import uuid

import pytest
import schemathesis
from django.utils import timezone

from cspbilling.accounts import services as account_services
from cspbilling.accounts.models import ApiToken
from cspbilling.api.tests.helpers import ApiClient

pytestmark = pytest.mark.django_db
BASE = "/api/v1"


def get(path: str, token: str | None = None, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return ApiClient().get(BASE + path, params, headers=headers)


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["status"] == status and body["instance"] == response.wsgi_request.path
    return body


@pytest.fixture
def finance_token(staff_users, api_token_for):
    return api_token_for(staff_users["finance"])


@pytest.fixture
def portal_token_a(portal_user_a, api_token_for):
    return api_token_for(portal_user_a)


@pytest.mark.parametrize(
    "path", ["/customers", f"/customers/{uuid.uuid4()}", "/subscriptions/sub-a-e3"]
)
def test_anonymous_gets_401_problem_json(path, customer_a):
    response = get(path)
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_wrong_or_revoked_token_is_401(staff_users, api_token_for):
    assert_problem(get("/customers", "csp_not-a-real-token"), 401)
    raw = api_token_for(staff_users["admin"])
    assert get("/customers", raw).status_code == 200
    token = ApiToken.objects.get(user=staff_users["admin"])
    account_services.do_revoke_api_token(token=token, actor="tests")
    assert_problem(get("/customers", raw), 401)


def test_inactive_users_token_is_401(staff_users, api_token_for):
    user = staff_users["support"]
    raw = api_token_for(user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert_problem(get("/customers", raw), 401)


@pytest.mark.parametrize("role", ["admin", "finance", "support", "readonly"])
def test_every_staff_role_reads_all_customers(
    role, staff_users, api_token_for, customer_a, customer_b
):
    body = get("/customers", api_token_for(staff_users[role])).json()
    assert body["count"] == 2
    assert [c["company_name"] for c in body["items"]] == ["Contoso China", "Fabrikam Shenzhen"]


def test_token_use_is_recorded(finance_token, staff_users):
    assert get("/customers", finance_token).status_code == 200
    token = ApiToken.objects.get(user=staff_users["finance"])
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < timezone.timedelta(minutes=1)


def test_customer_list_pages_and_searches(finance_token, make_customer):
    for n in range(7):
        make_customer(f"Tenant {n}")
    first = get("/customers", finance_token, limit=3, offset=0).json()
    second = get("/customers", finance_token, limit=3, offset=3).json()
    assert first["count"] == 7 and len(first["items"]) == 3
    assert [c["company_name"] for c in first["items"] + second["items"]] == [
        f"Tenant {n}" for n in range(6)
    ]
    found = get("/customers", finance_token, search="tenant 4").json()
    assert [c["company_name"] for c in found["items"]] == ["Tenant 4"]


def test_customer_and_its_subscriptions(finance_token, customer_a):
    body = get(f"/customers/{customer_a.tenant_id}", finance_token).json()
    assert body["tenant_id"] == str(customer_a.tenant_id)
    assert body["legal_name"] == "上海康托索科技有限公司" and body["currency"] == "CNY"
    subs = get(f"/customers/{customer_a.tenant_id}/subscriptions", finance_token).json()
    by_id = {s["subscription_id"]: s for s in subs}
    assert set(by_id) == {"sub-a-e3", "sub-a-e1", "sub-a-pbi"}
    assert by_id["sub-a-e1"]["status"] == "suspended"
    assert by_id["sub-a-e1"]["suspension_reasons"] == ["credit"]
    assert by_id["sub-a-e3"]["customer_tenant_id"] == str(customer_a.tenant_id)
    one = get("/subscriptions/sub-a-pbi", finance_token).json()
    assert one["billing_cycle"] == "annual" and one["quantity"] == 5


def test_unknown_objects_are_404_problems(finance_token):
    assert_problem(get(f"/customers/{uuid.uuid4()}", finance_token), 404)
    assert_problem(get(f"/customers/{uuid.uuid4()}/subscriptions", finance_token), 404)
    assert_problem(get("/subscriptions/nope", finance_token), 404)
    assert_problem(get("/no/such/endpoint", finance_token), 404)


def test_validation_errors_are_422_problems(finance_token):
    body = assert_problem(get("/customers/not-a-uuid", finance_token), 422)
    assert body["errors"][0]["loc"][-1] == "tenant_id"
    body = assert_problem(get("/customers", finance_token, limit=0), 422)
    assert "limit" in body["detail"]
    assert_problem(get("/customers", finance_token, search="a\x00b"), 422)


def test_portal_token_sees_only_its_customer(portal_token_a, customer_a, customer_b):
    body = get("/customers", portal_token_a).json()
    assert [c["tenant_id"] for c in body["items"]] == [str(customer_a.tenant_id)]
    assert get("/customers", portal_token_a, search="fabrikam").json()["count"] == 0
    assert get(f"/customers/{customer_a.tenant_id}", portal_token_a).status_code == 200
    assert get("/subscriptions/sub-a-e1", portal_token_a).status_code == 200


def test_portal_token_gets_404_for_another_customer(portal_token_a, customer_b):
    for path in [
        f"/customers/{customer_b.tenant_id}",
        f"/customers/{customer_b.tenant_id}/subscriptions",
        "/subscriptions/sub-b-exo",
    ]:
        body = assert_problem(get(path, portal_token_a), 404)
        assert "Fabrikam" not in json.dumps(body) and "Exchange" not in json.dumps(body)


def test_portal_session_is_not_api_auth(client_for, portal_user_a):
    response = client_for(portal_user_a).get(BASE + "/customers")
    assert_problem(response, 401)


def test_openapi_schema_is_served_and_valid():
    response = ApiClient().get(BASE + "/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    schemathesis.openapi.from_dict(schema).validate()  # against the OpenAPI 3.1 meta-schema
    assert schema["openapi"].startswith("3.1")
    assert set(schema["paths"]) == {
        "/api/v1/customers",
        "/api/v1/customers/{tenant_id}",
        "/api/v1/customers/{tenant_id}/subscriptions",
        "/api/v1/subscriptions/{subscription_id}",
        "/api/v1/upstream/invoices",
        "/api/v1/upstream/invoices/{invoice_id}",
        "/api/v1/upstream/invoices/{invoice_id}/lines",
        "/api/v1/upstream/invoices/{invoice_id}/payments",
        "/api/v1/upstream/payables",
        "/api/v1/upstream/imports",
        "/api/v1/upstream/imports/{batch_id}",
        "/api/v1/suspensions",
        "/api/v1/suspensions/{suspension_id}",
        "/api/v1/subscriptions/{subscription_id}/suspend",
        "/api/v1/subscriptions/{subscription_id}/reactivate",
        "/api/v1/price-rules",
        "/api/v1/price-rules/{rule_id}",
        "/api/v1/customer-groups",
        "/api/v1/customers/{tenant_id}/group",
        "/api/v1/invoices",
        "/api/v1/invoices/{invoice_id}",
        "/api/v1/invoices/{invoice_id}/lines",
        "/api/v1/invoices/{invoice_id}/pdf",
        "/api/v1/invoices/{invoice_id}/discard",
        "/api/v1/invoices/issue",
        "/api/v1/billing-runs",
        "/api/v1/billing-runs/{run_id}",
        "/api/v1/credit-notes",
        "/api/v1/credit-notes/{credit_note_id}",
        "/api/v1/credit-notes/{credit_note_id}/lines",
        "/api/v1/credit-notes/{credit_note_id}/pdf",
        "/api/v1/credit-notes/{credit_note_id}/issue",
        "/api/v1/credit-notes/{credit_note_id}/discard",
        "/api/v1/invoices/{invoice_id}/credit-notes",
        "/api/v1/invoices/{invoice_id}/fapiao",
        "/api/v1/fapiao",
        "/api/v1/fapiao/{fapiao_id}/issued",
        "/api/v1/payments",
        "/api/v1/payments/{payment_id}",
        "/api/v1/payments/{payment_id}/allocations",
        "/api/v1/payments/{payment_id}/reverse",
        "/api/v1/customers/{tenant_id}/balance",
        "/api/v1/customers/{tenant_id}/refunds",
        "/api/v1/customers/{tenant_id}/statement",
        "/api/v1/reports/aging",
        "/api/v1/reports/margin",
        "/api/v1/reports/cash-position",
        "/api/v1/bank-statements",
        "/api/v1/bank-statements/lines",
        "/api/v1/bank-statements/lines/{line_id}/assign",
        "/api/v1/cases",
        "/api/v1/cases/{reference}",
        "/api/v1/cases/{reference}/messages",
        "/api/v1/cases/{reference}/resolve",
        "/api/v1/cases/{reference}/confirm",
        "/api/v1/cases/{reference}/reopen",
        "/api/v1/collections/customers/{tenant_id}",
        "/api/v1/collections/customers/{tenant_id}/restriction",
        "/api/v1/collections/runs/dry-run",
        "/api/v1/escalations",
        "/api/v1/escalations/{reference}",
        "/api/v1/cases/{reference}/escalations",
        "/api/v1/escalations/{reference}/ticket",
        "/api/v1/escalations/{reference}/answers",
        "/api/v1/escalations/{reference}/outcome",
        "/api/v1/escalations/{reference}/withdraw",
        "/api/v1/escalations/{reference}/flagged-credit/accept",
        "/api/v1/escalations/{reference}/flagged-credit/reject",
    }
    errors = schema["paths"]["/api/v1/customers"]["get"]["responses"]["404"]["content"]
    assert list(errors) == ["application/problem+json"]
    assert schema["components"]["securitySchemes"]["ApiTokenAuth"]["scheme"] == "bearer"


def test_docs_page_serves_swagger_without_a_cdn():
    page = ApiClient().get(BASE + "/docs")
    html = page.content.decode()
    assert page.status_code == 200 and "swagger-ui" in html
    assert "cdn" not in html.lower() and "http" not in html.replace("http-equiv", "")
    asset = ApiClient().get(BASE + "/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and asset["Content-Type"] == "text/javascript"
    assert ApiClient().get(BASE + "/docs/assets/..%2fsettings.py").status_code == 404


def test_no_two_schemas_share_a_name():
    """The OpenAPI document keys schemas by class name: two with one name would document one
    endpoint's body as the other's (it happened: upstream's and customers' payments)."""
    import importlib
    import pkgutil

    from ninja import Schema

    import cspbilling.api.schemas as package

    seen: dict[str, str] = {}
    for module_info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, Schema)
                and value.__module__ == module.__name__
            ):
                assert name not in seen, f"{name} in both {seen[name]} and {module.__name__}"
                seen[name] = module.__name__
