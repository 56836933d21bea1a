"""Django settings, all from the environment (see ``docs/operations.md``)."""

import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from robinet.conf import (
    BASE_DIR,
    DEFAULT_DATABASE_URL,
    INSECURE_SECRET_KEY,
    VAR_DIR,
    env_bool,
    env_list,
    env_str,
)

DEBUG = env_bool("ROBINET_DEBUG", default=False)
SECRET_KEY = env_str("ROBINET_SECRET_KEY", INSECURE_SECRET_KEY)
ALLOWED_HOSTS = env_list("ROBINET_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("ROBINET_CSRF_TRUSTED_ORIGINS")
DEMO_MODE = env_bool("ROBINET_DEMO", default=False)

if DEBUG or DEMO_MODE:
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "testserver"]
else:
    # Production mode: refuse to start with an insecure configuration.
    if SECRET_KEY == INSECURE_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "ROBINET_SECRET_KEY must be set to a random value of at least 32 characters "
            "when ROBINET_DEBUG is off."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ROBINET_ALLOWED_HOSTS must be set when ROBINET_DEBUG is off.")
    SESSION_COOKIE_SECURE = env_bool("ROBINET_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # HTTPS only, remembered by browsers for a year (HSTS), unless explicitly served over HTTP
    # (the load test on 127.0.0.1 turns ROBINET_SECURE_COOKIES off).
    SECURE_SSL_REDIRECT = env_bool("ROBINET_SSL_REDIRECT", default=SESSION_COOKIE_SECURE)
    SECURE_HSTS_SECONDS = int(
        env_str("ROBINET_HSTS_SECONDS", "31536000" if SESSION_COOKIE_SECURE else "0")
    )
    # On the application's own host name these cover only its subdomains; preloading takes
    # a submission of the apex domain besides (see operations.md).
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("ROBINET_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("ROBINET_HSTS_PRELOAD", default=True)
    if env_bool("ROBINET_BEHIND_PROXY", default=False):
        # The reverse proxy terminates TLS and says so in this header (see operations.md).
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "robinet.core",
    "robinet.organisation",
    "robinet.customers",
    "robinet.metering",
    "robinet.tariffs",
    "robinet.billing",
    "robinet.ledger",
    "robinet.payments",
    "robinet.collections",
    "robinet.cases",
    "robinet.portal",
    "robinet.reporting",
    "robinet.pes",
    "robinet.backoffice",
    "robinet.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "robinet.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "robinet.backoffice.two_factor.SecondFactorMiddleware",
    "robinet.portal.access.PortalUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "robinet.urls"
WSGI_APPLICATION = "robinet.wsgi.application"
AUTH_USER_MODEL = "organisation.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "backoffice:home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "robinet.backoffice.context_processors.navigation",
                "robinet.portal.context_processors.portal",
            ],
        },
    },
]

DATABASE_URL = env_str("ROBINET_DATABASE_URL", DEFAULT_DATABASE_URL)
if DATABASE_URL.startswith("sqlite:"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN: concurrent writers queue
        # instead of failing with "database is locked" on lock upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
        ),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The planner's default cost of a random page read (4) is a spinning disk's: with the
    # data in memory or on SSD it reads whole tables where an index finds a chunk's rows
    # (a billing chunk's readings: 0.6 s instead of 0.05 s at a million customers). Empty:
    # leave the server's setting (e.g. behind a pooler that refuses startup options).
    _random_page_cost = env_str("ROBINET_PG_RANDOM_PAGE_COST", "1.1")
    if _random_page_cost:
        if not re.fullmatch(r"\d+(\.\d+)?", _random_page_cost):
            raise ImproperlyConfigured(
                f"ROBINET_PG_RANDOM_PAGE_COST must be a number (or empty): {_random_page_cost!r}"
            )
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            f"-c random_page_cost={_random_page_cost}"
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) serve PostgreSQL; SQLite builds them on their keys alone.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "fr-fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("ROBINET_TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
if DEBUG or DEMO_MODE:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
# PORTAL: files customers upload; never served by URL, only through an owner-checking view.
ROBINET_PRIVATE_FILES = Path(env_str("ROBINET_PRIVATE_FILES", str(VAR_DIR / "private")))

# Rendered bill PDFs, keyed by a digest of the document (billing.selectors.invoice_pdf):
# per process by default; ROBINET_DOCUMENT_CACHE_DIR shares them between workers on disk.
_document_cache_dir = env_str("ROBINET_DOCUMENT_CACHE_DIR", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "documents": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache"
        if _document_cache_dir
        else "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": _document_cache_dir or "robinet-documents",
        "TIMEOUT": 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": int(env_str("ROBINET_DOCUMENT_CACHE_ENTRIES", "500"))},
    },
}

# REP-1/REP-2 at full size: the reporting snapshot (``robinet report-snapshot``), columnar
# files the aged balance and recovery reports read with DuckDB while it is younger than
# ROBINET_REPORTING_SNAPSHOT_MAX_AGE hours; older or absent, they read the database live.
ROBINET_REPORTING_SNAPSHOT_DIR = Path(
    env_str("ROBINET_REPORTING_SNAPSHOT_DIR", str(VAR_DIR / "reporting"))
)
ROBINET_REPORTING_SNAPSHOT_MAX_AGE = int(env_str("ROBINET_REPORTING_SNAPSHOT_MAX_AGE", "36"))
# What one DuckDB query of the snapshot may take (threads; memory as DuckDB writes it).
ROBINET_REPORTING_DUCKDB_THREADS = int(env_str("ROBINET_REPORTING_DUCKDB_THREADS", "2"))
ROBINET_REPORTING_DUCKDB_MEMORY = env_str("ROBINET_REPORTING_DUCKDB_MEMORY", "2GB")

# Staff two-factor authentication (TOTP app): available to all; with this on, required.
ROBINET_STAFF_2FA_REQUIRED = env_bool("ROBINET_STAFF_2FA_REQUIRED", default=False)
OTP_TOTP_ISSUER = env_str("ROBINET_OTP_ISSUER", "Robinet")

SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("ROBINET_LOG_LEVEL", "WARNING")},
}

# Robinet settings (defaults documented in docs/operations.md).
ROBINET_CURRENCY = env_str("ROBINET_CURRENCY", "EUR")
ROBINET_RUN_CHUNK_SIZE = int(env_str("ROBINET_RUN_CHUNK_SIZE", "500"))
# Foreign keys of large bulk inserts checked per batch on PostgreSQL (decision 0013).
ROBINET_BATCH_REFERENCE_CHECKS = env_bool("ROBINET_BATCH_REFERENCE_CHECKS", default=True)
# Distributed runs (robinet.core.distributed): empty broker URL = chunks run in-process.
ROBINET_BROKER_URL = env_str("ROBINET_BROKER_URL", "")
ROBINET_RUN_QUEUE = env_str("ROBINET_RUN_QUEUE", "robinet-runs")
# Without a broker, a run started from a page (statement booking, direct debit) runs in a
# thread of the web process, and the page follows it; "0": in the request.
ROBINET_RUNS_IN_BACKGROUND = env_str("ROBINET_RUNS_IN_BACKGROUND", "1") == "1"
ROBINET_RUN_CHUNK_RETRIES = int(env_str("ROBINET_RUN_CHUNK_RETRIES", "3"))
ROBINET_RUN_RETRY_BACKOFF = float(env_str("ROBINET_RUN_RETRY_BACKOFF", "2"))
# Seconds before a chunk taken by a worker that died is handed to another one; longer
# than the slowest chunk (a replay is harmless, only wasted work).
ROBINET_BROKER_VISIBILITY_TIMEOUT = int(env_str("ROBINET_BROKER_VISIBILITY_TIMEOUT", "600"))

# PAY-1: on the same due date, which debits a payment clears first; PAY-1a: how a payment
# is spread over an invoice's lines — "pro_rata" or "order" (the categories' order).
ROBINET_ALLOCATION_ORDER = tuple(
    part.strip()
    for part in env_str("ROBINET_ALLOCATION_ORDER", "fee,interest,principal").split(",")
    if part.strip()
)
ROBINET_ALLOCATION_SPREAD = env_str("ROBINET_ALLOCATION_SPREAD", "pro_rata")
if ROBINET_ALLOCATION_SPREAD not in ("pro_rata", "order"):
    raise ImproperlyConfigured("ROBINET_ALLOCATION_SPREAD must be pro_rata or order.")
if sorted(ROBINET_ALLOCATION_ORDER) != ["fee", "interest", "principal"]:
    raise ImproperlyConfigured(
        "ROBINET_ALLOCATION_ORDER must list fee, interest and principal once each."
    )
ROBINET_RETENTION_YEARS = int(env_str("ROBINET_RETENTION_YEARS", "5"))

# Card payments (PAY-2): the payment-service provider by name and the secret that signs its
# callbacks. Debug/demo default to the local test provider; production has no card payments
# until configured, and then refuses the test provider and the development secret.
INSECURE_CARD_PROVIDER_SECRET = "robinet-insecure-card-provider-secret"
ROBINET_CARD_PROVIDER = env_str("ROBINET_CARD_PROVIDER", "test" if DEBUG or DEMO_MODE else "")
ROBINET_CARD_PROVIDER_SECRET = env_str(
    "ROBINET_CARD_PROVIDER_SECRET", INSECURE_CARD_PROVIDER_SECRET
)
if ROBINET_CARD_PROVIDER and not (DEBUG or DEMO_MODE):
    if ROBINET_CARD_PROVIDER == "test":
        raise ImproperlyConfigured(
            "ROBINET_CARD_PROVIDER=test is for development only (ROBINET_DEBUG or ROBINET_DEMO)."
        )
    if (
        ROBINET_CARD_PROVIDER_SECRET == INSECURE_CARD_PROVIDER_SECRET
        or len(ROBINET_CARD_PROVIDER_SECRET) < 32
    ):
        raise ImproperlyConfigured(
            "ROBINET_CARD_PROVIDER_SECRET must be set to the provider's secret "
            "(at least 32 characters) when ROBINET_CARD_PROVIDER is set and ROBINET_DEBUG is off."
        )

# The utility that issues the bills (BILL-8 legal mentions), ROBINET_UTILITY_<KEY> each.
ROBINET_UTILITY = {
    key: env_str(f"ROBINET_UTILITY_{key.upper()}", default)
    for key, default in {
        "name": "Régie des Eaux Robinet (démonstration)",
        "legal_form": "Régie publique dotée de l'autonomie financière",
        "address": "12 rue de la Source",
        "postcode": "67000",
        "city": "Strasbourg",
        "siren": "200012345",
        "siret": "20001234500017",
        "vat_number": "FR45200012345",
        "phone": "03 88 00 12 34",
        "opening_hours": "du lundi au vendredi, 8 h 30 – 12 h et 13 h 30 – 17 h",
        "emergency_phone": "03 88 00 99 99",
        "email": "contact@eaux-robinet.example",
        "website": "www.eaux-robinet.example",
        "iban": "FR7630001007941234567890185",
        "bic": "BDFEFRPPCCT",
        "sepa_creditor_id": "FR72ZZZ123456",  # a valid ICS (check digits 72)
        "mediator_name": "Médiation de l'eau",
        "mediator_address": "BP 40463",
        "mediator_postcode": "75366",
        "mediator_city": "Paris Cedex 08",
        "mediator_website": "www.mediation-eau.fr",
    }.items()
}

# PAY-3: days between the pre-notification (the invoice's issue date) and a direct debit.
ROBINET_SEPA_PRENOTICE_DAYS = int(env_str("ROBINET_SEPA_PRENOTICE_DAYS", "14"))
# PAY-3: TARGET2 business days a run's payments stay pending (0: settled on the collection date).
ROBINET_SEPA_RETURN_DAYS = int(env_str("ROBINET_SEPA_RETURN_DAYS", "0"))

# COLL-1: late interest for professionals, annual percent (ECB rate + 10 points, C. com. L441-10).
ROBINET_LATE_INTEREST_RATE = env_str("ROBINET_LATE_INTEREST_RATE", "12.15")
# COLL-10: a public régie's titles are time-barred after 4 years (CGCT L1617-5).
ROBINET_PUBLIC_REGIE = env_bool("ROBINET_PUBLIC_REGIE", False)
# COLL-2: where dunning SMS go ("console" prints them, "file" appends them to var/sms/).
ROBINET_SMS_BACKEND = env_str("ROBINET_SMS_BACKEND", "file")
# PORTAL-2: a plan asked on the portal is granted at once up to this amount and count.
ROBINET_PORTAL_PLAN_MAX_AMOUNT = env_str("ROBINET_PORTAL_PLAN_MAX_AMOUNT", "1500")
ROBINET_PORTAL_PLAN_MAX_INSTALMENTS = int(env_str("ROBINET_PORTAL_PLAN_MAX_INSTALMENTS", "6"))
# CASE-8: price-list code billed for an appointment the customer missed ("" = not billed;
# only when the service regulations provide for it, e.g. FRAIS-RDV-MANQUE).
ROBINET_MISSED_APPOINTMENT_FEE = env_str("ROBINET_MISSED_APPOINTMENT_FEE", "")
EMAIL_BACKEND = env_str("ROBINET_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env_str("ROBINET_FROM_EMAIL", "service-clients@robinet.example")
