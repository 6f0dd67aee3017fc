"""Root conftest: registers each app's fixtures (they live beside their app)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).parent / "test-artifacts"

pytest_plugins = [
    "cspbilling.core.tests.fixtures",
    "cspbilling.partnercenter.tests.fixtures",
    "cspbilling.upstream.tests.fixtures",
    "cspbilling.web.tests.fixtures",
    "cspbilling.web.tests.browser",
    "cspbilling.notifications.tests.fixtures",
    "cspbilling.subscriptions.tests.fixtures",
    "cspbilling.api.tests.fixtures",
    "cspbilling.invoicing.tests.fixtures",
    "cspbilling.cases.tests.fixtures",
    "cspbilling.collections.tests.fixtures",
    "cspbilling.escalations.tests.fixtures",
]


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_report_header(config) -> str:
    return f"database: {os.environ.get('CSPBILLING_DATABASE_URL', 'sqlite (default)')}"
