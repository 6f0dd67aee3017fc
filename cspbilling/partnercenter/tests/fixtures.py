"""Fixtures: a real sandbox over HTTP (one per session, reset per test) and a client for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings

from cspbilling.partnercenter.auth import SandboxTokenProvider
from cspbilling.partnercenter.client import PartnerCenterClient
from cspbilling.partnercenter.sandbox import SandboxHandle, start_sandbox

PC_SANDBOX_CUSTOMERS = 50
PC_SANDBOX_SEED = 1
PC_SANDBOX_CLOUD = "china"  # as in production; pc_sandbox_global switches a test to global


@pytest.fixture(scope="session")
def pc_sandbox_server() -> Iterator[SandboxHandle]:
    handle = start_sandbox(
        port=0,
        customers=PC_SANDBOX_CUSTOMERS,
        seed=PC_SANDBOX_SEED,
        cloud=PC_SANDBOX_CLOUD,
        partner_author=settings.PARTNER_CENTER["PARTNER_AUTHOR_NAME"],
    )
    yield handle
    handle.stop()


@pytest.fixture
def pc_sandbox(pc_sandbox_server: SandboxHandle) -> Iterator[SandboxHandle]:
    """The running sandbox, freshly seeded (50 customers, seed 1, cloud china: no service
    request API), no faults, empty log.

    Helpers: ``.set_faults(rate_429=..., ...)``, ``.script({"path_prefix": ..., "status": 429,
    "times": 2, "retry_after": 1})``, ``.clear_faults()``, ``.reset(customers=N, seed=S)``,
    ``.requests(path_prefix, method)``, ``.state`` (the data, under ``.state.lock``).
    """
    pc_sandbox_server.reset(
        customers=PC_SANDBOX_CUSTOMERS,
        seed=PC_SANDBOX_SEED,
        cloud=PC_SANDBOX_CLOUD,
        partner_author=settings.PARTNER_CENTER["PARTNER_AUTHOR_NAME"],
    )
    yield pc_sandbox_server
    pc_sandbox_server.clear_faults()


@pytest.fixture
def pc_sandbox_global(pc_sandbox: SandboxHandle) -> SandboxHandle:
    """pc_sandbox answering as the global cloud (service requests exist there)."""
    with pc_sandbox.state.lock:
        pc_sandbox.state.cloud = "global"
    return pc_sandbox


@pytest.fixture
def pc_sleeps() -> list[float]:
    """Every backoff the pc_client asked for (it records instead of sleeping)."""
    return []


@pytest.fixture
def make_pc_client(
    pc_sandbox: SandboxHandle, pc_sleeps: list[float]
) -> Iterator[Callable[..., PartnerCenterClient]]:
    """Build more clients for the sandbox: make_pc_client(timeout=0.2, max_retries=1, ...)."""
    made: list[PartnerCenterClient] = []

    def make(**overrides: Any) -> PartnerCenterClient:
        options: dict[str, Any] = dict(
            base_url=pc_sandbox.base_url,
            token_provider=SandboxTokenProvider(pc_sandbox.token),
            timeout=5,
            max_retries=4,
            backoff_base=0.001,
            backoff_max=0.01,
            sleep=pc_sleeps.append,
        )
        options.update(overrides)
        client = PartnerCenterClient(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def pc_client(make_pc_client: Callable[..., PartnerCenterClient]) -> PartnerCenterClient:
    """A PartnerCenterClient on pc_sandbox; backoff is recorded in pc_sleeps, never slept."""
    return make_pc_client()
