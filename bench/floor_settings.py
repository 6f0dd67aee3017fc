"""The floor of bench/api_load.py: cspbilling's settings, a bare URLconf and no middleware."""

from cspbilling.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
MIDDLEWARE: list[str] = []
API_MIDDLEWARE: list[str] = []  # `serve` sends /api/ requests through this chain
# The admin app stays installed (the same apps load) but is not routed: its checks do not apply.
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "admin.E408", "admin.E409", "admin.E410"]  # noqa: F405
