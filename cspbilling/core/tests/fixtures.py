"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest
from django.conf import settings


@pytest.fixture
def database_url_for_subprocess(transactional_db) -> str:
    """A CSPBILLING_DATABASE_URL that points a child process at the test database."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or "5432"
    return f"postgresql://{user}@{host}:{port}/{db['NAME']}"
