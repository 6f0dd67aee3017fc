"""The policy the customer reads: the portal page and the PDF in zh-Hans, en and fr, with each
reminder's day, the day access is impacted, what suspension means in the 21Vianet cloud and the
worked dates of an example invoice; a portal click acknowledges the version."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from cspbilling.collections.document import render_policy_png
from cspbilling.collections.models import Acknowledgement
from cspbilling.collections.selectors import version_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            [
                "Collections policy Standard v1",
                "7 business days after the due date",
                "Access is impacted on June 4, 2026",
                "Aug. 3, 2026",
                "Your administrators keep access to the admin portal",
                "Friendly reminder",
            ],
        ),
        (
            "fr",
            [
                "Politique de recouvrement Standard v1",
                "7 jours ouvrés après l'échéance",
                "L'accès est affecté le 4 juin 2026",
                "3 août 2026",
                "Vos administrateurs gardent l'accès",
                "Rappel amical",
            ],
        ),
        (
            "zh-hans",
            [
                "催收政策 Standard v1",
                "到期日后 7 个工作日",
                "访问将于 2026年6月4日 受到影响",
                "2026年8月3日",
                "世纪互联将删除订阅数据",
                "暂停前的最后通知",
            ],
        ),
    ],
)
def test_the_portal_page_and_pdf_speak_the_customers_language(
    language, words, default_policy, make_user, client_for, customer_a
):
    user = make_user("customer", customer=customer_a)
    client = client_for(user)
    client.post(reverse("set_language"), {"language": language, "next": "/portal/"})
    page = client.get(reverse("portal:policy")).content.decode()
    for text in words:
        assert text.replace("'", "&#x27;") in page, text
    pdf = client.get(reverse("portal:policy_pdf"))
    assert pdf["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert words[0] in text and "Standard v1" in text


def test_a_portal_click_acknowledges_the_version(
    default_policy, make_user, client_for, customer_a, artifacts_dir
):
    user = make_user("customer", customer=customer_a)
    type(user).objects.filter(pk=user.pk).update(first_name="Li", last_name="Wei")
    user.refresh_from_db()
    client = client_for(user)
    assert version_for(customer_a.pk) == (default_policy, False)
    client.post(reverse("portal:acknowledge_policy"), {"version": default_policy.pk})
    ack = Acknowledgement.objects.get()
    assert (ack.method, ack.acknowledged_by, ack.recorded_by) == (
        "portal",
        "Li Wei",
        user.username,
    )
    assert version_for(customer_a.pk) == (default_policy, True)
    (artifacts_dir / "collections-policy-fr.png").write_bytes(
        render_policy_png(default_policy, language="fr")
    )


def test_the_invoice_pdf_quotes_the_policy_version(issued_invoice, default_policy):
    from cspbilling.invoicing.pdf.render import render_invoice_pdf

    invoice = issued_invoice(amounts=("100",), language="fr")
    text = " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(render_invoice_pdf(invoice))).pages
    )
    text = " ".join(text.split())
    assert "Politique de recouvrement Standard v1" in text
    assert "25 jours ouvrés après l'échéance" in text


def test_a_newer_version_is_offered_and_the_older_one_applies_until_accepted(
    default_policy, make_user, client_for, customer_a, customer_b
):
    import yaml

    from cspbilling.collections.policy_rules import parse_spec
    from cspbilling.collections.services import (
        do_draft_policy_version,
        do_publish_policy_version,
    )
    from cspbilling.collections.tests.fixtures import DEFAULT_POLICY

    client = client_for(make_user("customer", customer=customer_a))
    client.post(reverse("portal:acknowledge_policy"), {"version": default_policy.pk})
    spec = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    spec["min_notice_days"] = 10
    spec["stages"][3]["offset"] = 30
    newer = do_publish_policy_version(
        version=do_draft_policy_version(spec=parse_spec(spec), actor="finance1"), actor="finance1"
    )
    assert newer.label == "Standard v2"
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/portal/"})
    page = client.get(reverse("portal:policy")).content.decode()
    assert "本政策的新版本 Standard v2 已于" in page and "仍按该版本进行催收" in page
    assert "催收政策 Standard v2" in page  # the new one is the one to read
    assert version_for(customer_a.pk) == (default_policy, True)  # until accepted
    pdf = client.get(reverse("portal:policy_pdf") + f"?version={newer.pk}")
    assert "Standard-v2" in pdf["Content-Disposition"]
    # Another customer's version, or one not offered, cannot be acknowledged.
    other = client_for(make_user("customer", customer=customer_b))
    assert (
        other.post(reverse("portal:acknowledge_policy"), {"version": default_policy.pk}).status_code
        == 404
    )
    client.post(reverse("portal:acknowledge_policy"), {"version": newer.pk})
    assert version_for(customer_a.pk) == (newer, True)
    page = client.get(reverse("portal:policy")).content.decode()
    assert "newer-version" not in page and "Standard v2" in page
