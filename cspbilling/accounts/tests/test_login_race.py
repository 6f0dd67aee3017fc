"""Concurrent sign-ins cannot get around the lockout: at most THRESHOLD passwords are checked."""

from __future__ import annotations

import re
import threading

import httpx
import pytest

from cspbilling.accounts.models import Role, User
from cspbilling.audit.models import AuditEvent
from cspbilling.web.tests.fixtures import TEST_PASSWORD

ATTEMPTS = 40
THRESHOLD = 5


def _login_form(client: httpx.Client, base: str) -> str:
    page = client.get(f"{base}/login/").text
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_guesses_gets_at_most_threshold_password_checks(
    live_server, make_user, settings
):
    settings.LOGIN_LOCKOUT_THRESHOLD = THRESHOLD
    make_user(Role.FINANCE, username="target")
    base = live_server.url
    clients = [httpx.Client(timeout=60) for _ in range(ATTEMPTS)]
    tokens = [_login_form(client, base) for client in clients]
    passwords = [f"guess-{n}" for n in range(ATTEMPTS)]
    start = threading.Barrier(ATTEMPTS)
    answers: list[int] = [0] * ATTEMPTS

    def attempt(n: int) -> None:
        start.wait()
        response = clients[n].post(
            f"{base}/login/",
            data={"username": "target", "password": passwords[n], "csrfmiddlewaretoken": tokens[n]},
            headers={"Referer": f"{base}/login/"},
        )
        answers[n] = response.status_code

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()

    assert set(answers) == {200}
    checked = AuditEvent.objects.filter(
        action__in=["login.failed", "login.locked", "login.succeeded"], actor="target"
    ).count()
    assert checked == THRESHOLD, f"{checked} passwords were checked with a threshold of 5"
    assert User.objects.get(username="target").locked_until is not None
    # The right password, after the burst, does not get through the lock the guesses have set.
    with httpx.Client(timeout=60) as client:
        token = _login_form(client, base)
        response = client.post(
            f"{base}/login/",
            data={"username": "target", "password": TEST_PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{base}/login/"},
        )
    assert response.status_code == 200 and "/login/" in str(response.url)
