from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
LOCALE = Path(settings.LOCALE_PATHS[0])


def test_portal_user_sees_its_company_and_subscriptions(client_for, portal_user_a, customer_b):
    client = client_for(portal_user_a)
    page = client.get(reverse("portal:home")).content.decode()
    assert "上海康托索科技有限公司" in page
    assert "Microsoft 365 E3" in page and "Office 365 E1" in page
    assert "Exchange Online" not in page  # customer B's


def test_subscription_detail_of_its_own_customer(client_for, portal_user_a):
    response = client_for(portal_user_a).get(
        reverse("portal:subscription_detail", args=["sub-a-e1"])
    )
    assert response.status_code == 200
    assert "sub-a-e1" in response.content.decode()


def test_another_customers_subscription_is_404_not_403(client_for, portal_user_a, customer_b):
    response = client_for(portal_user_a).get(
        reverse("portal:subscription_detail", args=["sub-b-exo"])
    )
    assert response.status_code == 404
    assert "Exchange Online" not in response.content.decode()
    assert "Fabrikam" not in response.content.decode()


def test_each_portal_user_sees_only_its_own(client_for, portal_user_a, portal_user_b):
    page_b = client_for(portal_user_b).get(reverse("portal:home")).content.decode()
    assert "Fabrikam Shenzhen" in page_b and "Exchange Online Plan 1" in page_b
    assert "Contoso" not in page_b and "Microsoft 365 E3" not in page_b


@pytest.mark.parametrize("role", ["admin", "finance", "support", "readonly"])
def test_staff_get_403_on_portal_pages(role, client_for, staff_users, customer_a):
    client = client_for(staff_users[role])
    assert client.get(reverse("portal:home")).status_code == 403
    url = reverse("portal:subscription_detail", args=["sub-a-e3"])
    assert client.get(url).status_code == 403


def test_anonymous_goes_to_the_login_page(customer_a):
    response = Client().get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_portal_speaks_the_users_language(client_for, portal_user_a):
    # customer A prefers zh-hans, so its user was created with zh-hans
    page = client_for(portal_user_a).get(reverse("portal:home")).content.decode()
    assert "您的订阅" in page and 'lang="zh-hans"' in page
    assert "已暂停" in page  # the suspended badge
    assert "按月" in page


@pytest.mark.parametrize(
    ("language", "title", "suspended"),
    [("en", "Your subscriptions", "Suspended"), ("fr", "Vos abonnements", "Suspendu")],
)
def test_language_switch_overrides_the_preference(
    language, title, suspended, client_for, portal_user_a
):
    client = client_for(portal_user_a)
    client.post(reverse("set_language"), {"language": language, "next": "/portal/"})
    page = client.get(reverse("portal:home")).content.decode()
    assert title in page and suspended in page


# The project's catalogue, then each app's own (an app keeps its strings in <app>/locale).
CATALOGUES = [LOCALE, *sorted(LOCALE.parent.glob("*/locale"))]


@pytest.mark.parametrize("language", ["zh_Hans", "fr"])
@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda path: path.parent.name)
def test_catalogues_are_complete_and_compiled(language, catalogue):
    """msgfmt finds no untranslated or fuzzy message, and the committed .mo is up to date."""
    po = catalogue / language / "LC_MESSAGES" / "django.po"
    mo = catalogue / language / "LC_MESSAGES" / "django.mo"
    if catalogue != LOCALE and not po.exists():
        pytest.fail(f"{catalogue} has no {language} catalogue: run makemessages -l {language}")
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "-", str(po)],
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()
    stats = result.stderr.decode()
    assert "translated messages" in stats
    assert "untranslated" not in stats and "fuzzy" not in stats, stats
    assert mo.read_bytes() == result.stdout, "run: manage.py compilemessages -l " + language


def test_suspended_subscription_warns_the_customer(client_for, portal_user_a):
    client = client_for(portal_user_a)
    client.post(reverse("set_language"), {"language": "en", "next": "/portal/"})
    page = client.get(reverse("portal:subscription_detail", args=["sub-a-e1"])).content.decode()
    assert "This subscription is suspended" in page


def test_languages_setting_matches_the_catalogues():
    codes = {code for code, _ in settings.LANGUAGES}
    assert codes == {"zh-hans", "en", "fr"}
