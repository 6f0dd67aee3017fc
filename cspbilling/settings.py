"""The one settings module: everything comes from the environment, with typed, safe defaults.

`CSPBILLING_ENV=production` turns on the checks that refuse unsafe settings.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("CSPBILLING_VAR_DIR", PROJECT_DIR / "var"))

DEFAULT_SECRET_KEY = "insecure-development-key-change-me"


def _sqlite_test_name(path: str) -> str:
    if path == ":memory:":
        return str(VAR_DIR / "test_cspbilling.sqlite3")
    return str(Path(path).absolute().with_name(f"test_{Path(path).name}"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false)")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """Turn `sqlite:///path` or `postgresql://user:pw@host:port/name` into a DATABASES entry."""
    parts = urlsplit(url)
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        # sqlite:////abs/file.sqlite3 is absolute; sqlite:///file.sqlite3 is relative.
        path = path[1:] or str(VAR_DIR / "cspbilling.sqlite3")
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            "OPTIONS": {
                # WAL lets the web process read while the worker writes; IMMEDIATE takes the
                # write lock at BEGIN so two writers queue instead of failing mid-transaction.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                # Seconds a writer waits for the lock before "database is locked".
                "timeout": env_float("CSPBILLING_SQLITE_BUSY_TIMEOUT", 30.0),
            },
            # Each server thread keeps its connection (opening one costs the PRAGMAs above).
            "CONN_MAX_AGE": env_int("CSPBILLING_DB_CONN_MAX_AGE", 600),
            # A file, not memory: tests start real worker and server subprocesses. Named after
            # the database, so two test runs with different URLs never share one.
            "TEST": {"NAME": options.get("test_name") or _sqlite_test_name(path)},
        }
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        return {
            # Django's backend with a health check that needs no round trip (see its docstring).
            "ENGINE": "cspbilling.core.dbbackends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "cspbilling",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": env_int("CSPBILLING_DB_CONN_MAX_AGE", 600),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {k: v for k, v in options.items() if k != "test_name"},
            "TEST": {"NAME": options.get("test_name") or None},
        }
    raise ImproperlyConfigured(
        f"CSPBILLING_DATABASE_URL has an unknown scheme {parts.scheme!r}: "
        "use sqlite:///path/to/file.sqlite3 or postgresql://user@host:5432/name"
    )


ENVIRONMENT = env_str("CSPBILLING_ENV", "development")
IS_PRODUCTION = ENVIRONMENT == "production"

SECRET_KEY = env_str("CSPBILLING_SECRET_KEY", DEFAULT_SECRET_KEY)
# Off unless asked for: the debug page shows code and settings to whoever triggers an error.
DEBUG = env_bool("CSPBILLING_DEBUG", False)
ALLOWED_HOSTS = env_list("CSPBILLING_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSPBILLING_CSRF_TRUSTED_ORIGINS", [])

# The URL may hold the database password: it is read here and not kept as a setting (the debug
# page lists settings; only the PASSWORD key of DATABASES is hidden from it).
DATABASES = {
    "default": database_from_url(
        env_str(
            "CSPBILLING_DATABASE_URL", f"sqlite:///{(VAR_DIR / 'cspbilling.sqlite3').as_posix()}"
        )
    )
}

if IS_PRODUCTION:
    problems = []
    if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 32:
        problems.append("CSPBILLING_SECRET_KEY must be set to a random value of 32+ characters")
    if DEBUG:
        problems.append("CSPBILLING_DEBUG must be off")
    if DATABASES["default"]["ENGINE"].endswith("postgresql") and not DATABASES["default"].get(
        "CONN_MAX_AGE"
    ):
        problems.append("CSPBILLING_DB_CONN_MAX_AGE must be > 0 (persistent connections)")
    if problems:
        raise ImproperlyConfigured("refusing to start in production: " + "; ".join(problems))

INSTALLED_APPS = [
    "cspbilling.ops.apps.CspbillingAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks_db",
    "cspbilling.core",
    "cspbilling.accounts",
    "cspbilling.audit",
    "cspbilling.notifications",
    "cspbilling.partnercenter",
    "cspbilling.customers",
    "cspbilling.subscriptions",
    "cspbilling.sync",
    "cspbilling.upstream",
    "cspbilling.invoicing",
    "cspbilling.payments",
    "cspbilling.collections",
    "cspbilling.cases",
    "cspbilling.escalations",
    "cspbilling.workdays",
    "cspbilling.web",
    "cspbilling.portal",
    "cspbilling.api",
    "cspbilling.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Static files from STATIC_ROOT (collected by `cspbilling serve` at start), before sessions.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cspbilling.ops.middleware.RejectNulCharactersMiddleware",
]
# Before the CSRF check, which reads the body (see the "Uploads" block below).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.csrf.CsrfViewMiddleware"),
    "cspbilling.ops.upload_guard.UploadGuardMiddleware",
)
# Requests to the REST API (a bearer token on each one) skip what only pages need: sessions,
# CSRF, session authentication, messages, static files (cspbilling/api/handler.py).
PAGE_ONLY_MIDDLEWARE = {
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
}
API_MIDDLEWARE = [path for path in MIDDLEWARE if path not in PAGE_ONLY_MIDDLEWARE]

ROOT_URLCONF = "cspbilling.urls"
WSGI_APPLICATION = "cspbilling.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ]
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["cspbilling.accounts.backends.LockoutModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_LOCKOUT_THRESHOLD = env_int("CSPBILLING_LOGIN_LOCKOUT_THRESHOLD", 5)
LOGIN_LOCKOUT_MINUTES = env_int("CSPBILLING_LOGIN_LOCKOUT_MINUTES", 15)

LANGUAGE_CODE = "en"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("CSPBILLING_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start without it
# Processes of `cspbilling serve`: about one per core; and threads in each (requests it serves
# at once, each thread with its own database connection).
WEB_WORKERS = env_int("CSPBILLING_WEB_WORKERS", 2)
WEB_THREADS = env_int("CSPBILLING_WEB_THREADS", 4)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = IS_PRODUCTION
CSRF_COOKIE_SECURE = IS_PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# HTTPS in production: browsers remember for HSTS_SECONDS to use https only (subdomains too).
SECURE_HSTS_SECONDS = env_int("CSPBILLING_HSTS_SECONDS", 365 * 24 * 3600) if IS_PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = IS_PRODUCTION
# Preloading is a promise to browser vendors that is slow to undo: opt in.
SECURE_HSTS_PRELOAD = env_bool("CSPBILLING_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("CSPBILLING_SSL_REDIRECT", IS_PRODUCTION)
# Behind a TLS-terminating proxy, its X-Forwarded-Proto tells Django the request was https.
# Only when that proxy sets (and overwrites) the header: else any client could claim https.
if env_bool("CSPBILLING_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HSTS preload stays opt-in (above), so its deploy check is silenced unless opted in.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Everything from our own origin, no inline script (htmx and our scripts are static files),
# never framed. Inline style attributes stay allowed: the templates use them for layout.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Uploaded reconciliation files live in the `uploads` storage, which every web server and worker
# must share: a folder (CSPBILLING_UPLOAD_DIR, default VAR_DIR/uploads; on several machines, a
# shared mount) or, with CSPBILLING_UPLOAD_STORAGE=s3, an S3-compatible bucket (the `s3` extra).
UPLOAD_STORAGE = env_str("CSPBILLING_UPLOAD_STORAGE", "file")
if UPLOAD_STORAGE == "s3":
    UPLOADS_BACKEND = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("CSPBILLING_UPLOAD_S3_BUCKET"),
            "endpoint_url": env_str("CSPBILLING_UPLOAD_S3_ENDPOINT") or None,
            "region_name": env_str("CSPBILLING_UPLOAD_S3_REGION") or None,
            "access_key": env_str("CSPBILLING_UPLOAD_S3_ACCESS_KEY") or None,
            "secret_key": env_str("CSPBILLING_UPLOAD_S3_SECRET_KEY") or None,
            "location": env_str("CSPBILLING_UPLOAD_S3_PREFIX", "uploads"),
            "file_overwrite": False,
            "default_acl": None,
        },
    }
elif UPLOAD_STORAGE == "file":
    UPLOADS_BACKEND = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env_str("CSPBILLING_UPLOAD_DIR", str(VAR_DIR / "uploads"))},
    }
else:
    raise ImproperlyConfigured(
        f"CSPBILLING_UPLOAD_STORAGE={UPLOAD_STORAGE!r}: use 'file' (default) or 's3'"
    )
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "cspbilling.ops.staticfiles.CollectedStaticFilesStorage"},
    "uploads": UPLOADS_BACKEND,
}

# Uploads, bounded and cleaned (cspbilling/core/upload_handlers.py):
# - a file over CSPBILLING_UPLOAD_MAX_MB is refused as it arrives, before it is stored (console:
#   a form error; API: 413); the rest of the body is not read;
# - a file is held in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, then streamed to a temporary
#   file in CSPBILLING_UPLOAD_TEMP_DIR (default: the system's), deleted however the request ends;
# - a body that is not a file (form fields, JSON) may be at most DATA_UPLOAD_MAX_MEMORY_SIZE;
# - stored uploads (imported or rejected) are deleted after CSPBILLING_UPLOAD_RETENTION_DAYS by a
#   daily job, which keeps the import's record and summary (0 keeps them for ever).
UPLOAD_MAX_MB = env_int("CSPBILLING_UPLOAD_MAX_MB", 512)
UPLOAD_RETENTION_DAYS = env_int("CSPBILLING_UPLOAD_RETENTION_DAYS", 90)
if UPLOAD_MAX_MB < 1 or UPLOAD_RETENTION_DAYS < 0:
    raise ImproperlyConfigured(
        "CSPBILLING_UPLOAD_MAX_MB must be at least 1, CSPBILLING_UPLOAD_RETENTION_DAYS at least 0"
    )
# Business hours of the China calendar (cases' and escalations' SLA clocks), in TIME_ZONE.
BUSINESS_HOURS = env_str("CSPBILLING_BUSINESS_HOURS", "09:00-18:00")
_HOURS_SHAPE = r"\d\d:\d\d-\d\d:\d\d"
if not re.fullmatch(_HOURS_SHAPE, BUSINESS_HOURS) or BUSINESS_HOURS[:5] >= BUSINESS_HOURS[6:]:
    raise ImproperlyConfigured(
        "CSPBILLING_BUSINESS_HOURS must be like 09:00-18:00 (start before end)"
    )

FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MB, Django's default, stated here on purpose
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_TEMP_DIR = env_str("CSPBILLING_UPLOAD_TEMP_DIR") or None
FILE_UPLOAD_HANDLERS = [
    "cspbilling.core.upload_handlers.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "cspbilling.core.upload_handlers.CleanTemporaryFileUploadHandler",
]

# Background work: django.tasks with the database backend, so a task row commits in the same
# transaction as the decision that caused it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Mail (the outbox delivers through Django's SMTP backend).
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env_str("CSPBILLING_SMTP_HOST", "127.0.0.1"),
            "port": env_int("CSPBILLING_SMTP_PORT", 1025),
            "username": env_str("CSPBILLING_SMTP_USER"),
            "password": env_str("CSPBILLING_SMTP_PASSWORD"),
            "use_tls": env_bool("CSPBILLING_SMTP_TLS", False),
            "timeout": env_int("CSPBILLING_SMTP_TIMEOUT", 20),
        },
    }
}
DEFAULT_FROM_EMAIL = env_str("CSPBILLING_FROM_EMAIL", "billing@cspbilling.localhost")

# The outbox: how long a claimed delivery may run before another worker may retry it, and
# how many attempts before a message is given up and shown to staff as failed.
OUTBOX_LEASE_SECONDS = env_int("CSPBILLING_OUTBOX_LEASE_SECONDS", 300)
# A failed delivery is retried after base × 2^attempt seconds (with jitter), at most max.
OUTBOX_RETRY_BASE_SECONDS = env_int("CSPBILLING_OUTBOX_RETRY_BASE_SECONDS", 30)
OUTBOX_RETRY_MAX_SECONDS = env_int("CSPBILLING_OUTBOX_RETRY_MAX_SECONDS", 3600)
OUTBOX_MAX_ATTEMPTS = env_int("CSPBILLING_OUTBOX_MAX_ATTEMPTS", 8)
SUSPENDED_DATA_RETENTION_DAYS = env_int("CSPBILLING_SUSPENDED_DATA_RETENTION_DAYS", 60)
# Who on the partner's side is warned before a suspended subscription's data is deleted.
STAFF_ALERT_EMAILS = env_list("CSPBILLING_STAFF_ALERT_EMAILS", [])

# Partner Center (operated by 21Vianet by default; CSPBILLING_PC_CLOUD=global for the global one).
PARTNER_CENTER = {
    "CLOUD": env_str("CSPBILLING_PC_CLOUD", "china"),
    "BASE_URL": env_str("CSPBILLING_PC_BASE_URL"),
    "AUTHORITY_HOST": env_str("CSPBILLING_PC_AUTHORITY_HOST"),
    "SCOPE": env_str("CSPBILLING_PC_SCOPE"),
    "APP_ONLY_SCOPE": env_str("CSPBILLING_PC_APP_ONLY_SCOPE"),
    "INSTANCE_DISCOVERY": env_bool("CSPBILLING_PC_INSTANCE_DISCOVERY", True),
    "TENANT_ID": env_str("CSPBILLING_PC_TENANT_ID"),
    "CLIENT_ID": env_str("CSPBILLING_PC_CLIENT_ID"),
    "CLIENT_SECRET": env_str("CSPBILLING_PC_CLIENT_SECRET"),
    "REFRESH_TOKEN": env_str("CSPBILLING_PC_REFRESH_TOKEN"),
    "SANDBOX_TOKEN": env_str("CSPBILLING_PC_SANDBOX_TOKEN"),
    "TIMEOUT_SECONDS": env_float("CSPBILLING_PC_TIMEOUT", 30.0),
    "MAX_RETRIES": env_int("CSPBILLING_PC_MAX_RETRIES", 6),
    # A Retry-After longer than this fails the job with the reason (it is retried later)
    # instead of holding a worker asleep.
    "RETRY_AFTER_MAX_SECONDS": env_float("CSPBILLING_PC_RETRY_AFTER_MAX_SECONDS", 300.0),
    "LOCALE": env_str("CSPBILLING_PC_LOCALE", "en-US"),
    # The name Partner Center writes on the notes the partner adds to a service request
    # (`createdByName`): polling skips those (they are ours, not 21Vianet's answers). The
    # sandbox (`cspbilling sandbox`, the test fixtures) signs the partner's notes with it too.
    "PARTNER_AUTHOR_NAME": env_str("CSPBILLING_PC_PARTNER_AUTHOR_NAME", "Sandbox CSP Partner"),
}
if not PARTNER_CENTER["PARTNER_AUTHOR_NAME"].strip():
    raise ImproperlyConfigured(
        "CSPBILLING_PC_PARTNER_AUTHOR_NAME is empty: name the author Partner Center writes on "
        "the partner's own service-request notes"
    )
SANDBOX_PORT = env_int("CSPBILLING_SANDBOX_PORT", 8765)
# 21Vianet's terms: net 30 from the invoice date (verify against the current program guide).
UPSTREAM_PAYMENT_TERMS_DAYS = env_int("CSPBILLING_UPSTREAM_PAYMENT_TERMS_DAYS", 30)
# Who we are on our invoices (the seller), where customers pay, and the policy line they read.
INVOICE_SELLER = {
    "name": env_str("CSPBILLING_SELLER_NAME", "Demo Cloud Partner Co., Ltd."),
    "name_local": env_str("CSPBILLING_SELLER_NAME_LOCAL", "演示云伙伴有限公司"),
    "tax_id": env_str("CSPBILLING_SELLER_TAX_ID", "91310000MA1FL0TD7X"),
    "address": env_str("CSPBILLING_SELLER_ADDRESS", "上海市浦东新区世纪大道 100 号"),
    "phone": env_str("CSPBILLING_SELLER_PHONE", "+86 21 5555 0100"),
    "bank_name": env_str("CSPBILLING_SELLER_BANK_NAME", "中国银行上海分行"),
    "bank_account": env_str("CSPBILLING_SELLER_BANK_ACCOUNT", "4375 6021 0000 1234 567"),
}
# Until the collections policy is built (issue 16), the line every invoice prints about it.
INVOICE_POLICY_TEXT = env_str(
    "CSPBILLING_INVOICE_POLICY_TEXT",
    "",  # empty: the translated default in invoicing/pdf/render.py
)
# Collections (issue 16).
# The fewest days a delivered notice must precede a suspension (no policy may promise less).
COLLECTIONS_MIN_NOTICE_DAYS = env_int("CSPBILLING_COLLECTIONS_MIN_NOTICE_DAYS", 5)
# The circuit breaker: a run that would suspend more than this percentage of the customers (or of
# the active subscriptions) suspends nobody and alerts staff; up to BREAKER_ALLOW suspensions in
# one run never trip it (a small book).
COLLECTIONS_BREAKER_PERCENT = env_int("CSPBILLING_COLLECTIONS_BREAKER_PERCENT", 5)
COLLECTIONS_BREAKER_ALLOW = env_int("CSPBILLING_COLLECTIONS_BREAKER_ALLOW", 3)
# The daily run's hour (UTC) in the worker; -1 turns the scheduled run off.
COLLECTIONS_RUN_HOUR_UTC = env_int("CSPBILLING_COLLECTIONS_RUN_HOUR_UTC", 1)
# Where Typst finds the CJK fonts (Debian's fonts-noto-cjk).
PDF_FONT_PATHS = env_list("CSPBILLING_PDF_FONT_PATHS", ["/usr/share/fonts/opentype/noto"])
# The day of the month the worker drafts last month's invoices (21Vianet's invoice is out by
# then); 0 turns the scheduled billing run off.
BILLING_RUN_DAY = env_int("CSPBILLING_BILLING_RUN_DAY", 5)
if not 0 <= BILLING_RUN_DAY <= 28:
    raise ImproperlyConfigured("CSPBILLING_BILLING_RUN_DAY must be between 0 and 28")
# Our invoices are numbered INV-2026-000001, gap-free per year (credit notes get their own series).
INVOICE_NUMBER_SERIES = env_str("CSPBILLING_INVOICE_NUMBER_SERIES", "INV")
CREDIT_NOTE_NUMBER_SERIES = env_str("CSPBILLING_CREDIT_NOTE_NUMBER_SERIES", "CN")
for _series in (INVOICE_NUMBER_SERIES, CREDIT_NOTE_NUMBER_SERIES):
    if not (_series.isascii() and _series.isalnum() and 1 <= len(_series) <= 8):
        raise ImproperlyConfigured(f"a number series is 1 to 8 letters or digits, not {_series!r}")
if INVOICE_NUMBER_SERIES == CREDIT_NOTE_NUMBER_SERIES:
    raise ImproperlyConfigured("invoices and credit notes need number series of their own")
# The longest line a reconciliation file may have, in KB: a longer one is refused naming its
# row (real lines are under 2 KB; this bounds memory for a file that is not CSV at all).
UPLOAD_MAX_LINE_KB = env_int("CSPBILLING_UPLOAD_MAX_LINE_KB", 64)
PARTNER_CENTER_SYNC_MINUTES = env_int("CSPBILLING_PC_SYNC_MINUTES", 360)  # 0: no scheduled sync

# Cases
# SLA targets per priority, in business hours of the China calendar: (first response, resolution).
CASES_SLA_HOURS = {
    "urgent": (
        env_int("CSPBILLING_CASES_SLA_URGENT_FIRST", 1),
        env_int("CSPBILLING_CASES_SLA_URGENT", 8),
    ),
    "high": (
        env_int("CSPBILLING_CASES_SLA_HIGH_FIRST", 2),
        env_int("CSPBILLING_CASES_SLA_HIGH", 16),
    ),
    "normal": (
        env_int("CSPBILLING_CASES_SLA_NORMAL_FIRST", 4),
        env_int("CSPBILLING_CASES_SLA_NORMAL", 27),
    ),
    "low": (env_int("CSPBILLING_CASES_SLA_LOW_FIRST", 9), env_int("CSPBILLING_CASES_SLA_LOW", 45)),
}
# "Due soon": a target closer than this many hours (wall clock) is shown and warned.
CASES_SLA_DUE_SOON_HOURS = env_int("CSPBILLING_CASES_SLA_DUE_SOON_HOURS", 4)
# Staff warned by email of due-soon and breached cases (besides the assignee).
CASES_SLA_WARNING_EMAILS = env_list("CSPBILLING_CASES_SLA_WARNING_EMAILS", [])
# Days a resolved case waits for the customer to confirm or reopen before it closes itself.
CASES_CONFIRMATION_WINDOW_DAYS = env_int("CSPBILLING_CASES_CONFIRMATION_WINDOW_DAYS", 7)
# Technical questions are not billing's: they go to this address and/or webhook.
CASES_TECHNICAL_SUPPORT_EMAIL = env_str("CSPBILLING_CASES_TECHNICAL_SUPPORT_EMAIL", "")
CASES_TECHNICAL_SUPPORT_WEBHOOK_URL = env_str("CSPBILLING_CASES_TECHNICAL_SUPPORT_WEBHOOK_URL", "")
# Case events (opened, replied, resolved, closed) as signed webhooks; empty URL: none.
CASES_WEBHOOK_URL = env_str("CSPBILLING_CASES_WEBHOOK_URL", "")
CASES_WEBHOOK_SECRET_NAME = env_str(
    "CSPBILLING_CASES_WEBHOOK_SECRET_NAME", "CSPBILLING_WEBHOOK_SECRET"
)
# Where customers write: the mailbox address (replies come back to it; mail from it is a loop).
CASES_MAILBOX_ADDRESS = env_str("CSPBILLING_CASES_MAILBOX_ADDRESS", "support@cspbilling.localhost")
# Links in emails (confirm, reopen, rate) point at this origin.
CASES_PUBLIC_BASE_URL = env_str("CSPBILLING_CASES_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
# Attachments kept from mail and uploads: at most this size each, of these types.
CASES_ATTACHMENT_MAX_BYTES = env_int("CSPBILLING_CASES_ATTACHMENT_MAX_MB", 10) * 1024 * 1024
CASES_ATTACHMENT_TYPES = env_list(
    "CSPBILLING_CASES_ATTACHMENT_TYPES",
    [
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "text/plain",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-excel",
        "application/zip",
    ],
)
# The IMAP mailbox `cspbilling mail poll` reads (every CASES_MAIL_POLL_MINUTES in the worker;
# 0: off).
CASES_IMAP = {
    "HOST": env_str("CSPBILLING_CASES_IMAP_HOST", ""),
    "PORT": env_int("CSPBILLING_CASES_IMAP_PORT", 993),
    "SSL": env_bool("CSPBILLING_CASES_IMAP_SSL", True),
    "USER": env_str("CSPBILLING_CASES_IMAP_USER", ""),
    "PASSWORD": env_str("CSPBILLING_CASES_IMAP_PASSWORD", ""),
    "FOLDER": env_str("CSPBILLING_CASES_IMAP_FOLDER", "INBOX"),
}
CASES_MAIL_POLL_MINUTES = env_int("CSPBILLING_CASES_MAIL_POLL_MINUTES", 2)
# `cspbilling mail serve` listens here (SMTP).
CASES_SMTP_LISTEN = (
    env_str("CSPBILLING_CASES_SMTP_HOST", "127.0.0.1"),
    env_int("CSPBILLING_CASES_SMTP_PORT", 2525),
)
if CASES_CONFIRMATION_WINDOW_DAYS < 1:
    raise ImproperlyConfigured("CSPBILLING_CASES_CONFIRMATION_WINDOW_DAYS must be at least 1")

# Escalations
# How a request reaches 21Vianet, per cloud: "portal" (a person files it in the Partner Center
# portal and types the ticket number back) or "api" (cspbilling files and syncs it, where the
# cloud offers a service-request API: the sandbox running as the global cloud).
ESCALATIONS_CHANNEL = {
    "china": env_str("CSPBILLING_ESCALATIONS_CHANNEL_CHINA", "portal"),
    "global": env_str("CSPBILLING_ESCALATIONS_CHANNEL_GLOBAL", "api"),
}
# A ticket number as the agent types it back from the portal.
ESCALATIONS_TICKET_PATTERN = env_str(
    "CSPBILLING_ESCALATIONS_TICKET_PATTERN", r"^[0-9A-Za-z-]{6,40}$"
)
# Mail from these domains that names a ticket number or our reference is 21Vianet answering:
# an internal note on the case, never shown to the customer.
ESCALATIONS_UPSTREAM_MAIL_DOMAINS = env_list(
    "CSPBILLING_ESCALATIONS_UPSTREAM_MAIL_DOMAINS", ["21vianet.com", "oe.21vianet.com"]
)
# api mode: how often the worker reads filed requests (minutes; 0: never), and the longest wait
# it backs off to when throttled (429).
ESCALATIONS_POLL_MINUTES = env_int("CSPBILLING_ESCALATIONS_POLL_MINUTES", 30)
ESCALATIONS_POLL_BACKOFF_MAX_MINUTES = env_int(
    "CSPBILLING_ESCALATIONS_POLL_BACKOFF_MAX_MINUTES", 480
)
# The assignee is reminded when 21Vianet has not answered in this many business days.
ESCALATIONS_REMIND_AFTER_BUSINESS_DAYS = env_int("CSPBILLING_ESCALATIONS_REMIND_AFTER_DAYS", 2)
# While escalated, the customer hears from us every this many business days.
ESCALATIONS_CUSTOMER_UPDATE_BUSINESS_DAYS = env_int(
    "CSPBILLING_ESCALATIONS_CUSTOMER_UPDATE_DAYS", 3
)
# When an upheld dispute becomes the customer's credit note: "on_approval" (when 21Vianet
# upholds it) or "on_arrival" (only once 21Vianet's credit is on an upstream invoice).
ESCALATIONS_CREDIT_NOTE_WHEN = env_str("CSPBILLING_ESCALATIONS_CREDIT_NOTE_WHEN", "on_arrival")
if ESCALATIONS_CREDIT_NOTE_WHEN not in ("on_approval", "on_arrival"):
    raise ImproperlyConfigured("CSPBILLING_ESCALATIONS_CREDIT_NOTE_WHEN: on_approval or on_arrival")
for _cloud, _channel in ESCALATIONS_CHANNEL.items():
    if _channel not in ("portal", "api"):
        raise ImproperlyConfigured(
            f"CSPBILLING_ESCALATIONS_CHANNEL_{_cloud.upper()}: portal or api"
        )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("CSPBILLING_LOG_LEVEL", "WARNING")},
}
