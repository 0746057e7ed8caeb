"""CrisisDesk settings: one env-driven module.

Local defaults are safe for a laptop (SQLite, console email). Production values
come from environment variables; a production deployment (DJANGO_DEBUG off)
without DJANGO_SECRET_KEY refuses to start.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE as CSP_NONCE
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from crisisdesk.observability.sentry import init_sentry, sentry_options
from crisisdesk.sso import conf as sso_conf

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off. "
            "For a local run set DJANGO_DEBUG=1 (make demo does)."
        )
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "axes",
    "csp",  # django-csp: its system checks (the header comes from its middleware)
    "crisisdesk",
    "crisisdesk.review",
    "crisisdesk.audit",
    "crisisdesk.webhooks",
    "crisisdesk.chat",
    "crisisdesk.apikeys",
    "crisisdesk.notifications",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",  # passkeys: its credential model (a django-otp device) and WebAuthn helper
    "crisisdesk.twofactor",
    "incidents",
    "playbooks",
    "postmortems",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF (which reads request.POST): a body over its view's limit is a 413, a NUL in the URL a 400.
    "crisisdesk.request_guard.RequestGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signed in but no second factor yet (CRISISDESK_2FA_ENFORCE): off to the confirm or enrolment page.
    "crisisdesk.twofactor.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "crisisdesk.middleware.PermissionsPolicyMiddleware",
    "crisisdesk.middleware.SessionAbsoluteAgeMiddleware",
    # Last: turns a lockout flagged by the axes backend into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Request bodies: 2.5 MB (Django's default, stated here because the API documents it); the bulk
# mention ingest allows more (``incidents.listening.api.views``). See crisisdesk/request_guard.py.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

ROOT_URLCONF = "crisisdesk.urls"
WSGI_APPLICATION = "crisisdesk.wsgi.application"

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
                "crisisdesk.middleware.csp_nonce",
                "crisisdesk.notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# SQLite by default so a bare machine can run the demo; PostgreSQL (psycopg 3)
# from DATABASE_URL in production, with psycopg's connection pool.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    if env_bool("DATABASE_POOL", default=True):
        # Django's pool replaces persistent connections: CONN_MAX_AGE must be 0.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DATABASE_POOL_MIN_SIZE", 2),
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 10),
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
            # No "check" here: with CONN_HEALTH_CHECKS on (conn_health_checks=True
            # above) Django passes ConnectionPool.check_connection itself, so a
            # restarted database does not surface as a 500 on the next request.
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
    if env_bool("DATABASE_PREPARED_STATEMENTS", default=True):
        # Server-side parameters, and psycopg prepares a statement the 5th time a connection runs it:
        # the pages repeat the same statements with new values, and PostgreSQL then skips planning them
        # (0.1-0.7 ms a statement, up to a dozen a page; docs/performance.md). Set it to 0 behind a pooler
        # in transaction mode that cannot keep prepared statements (PgBouncer before 1.21).
        DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so two writers
    # queue on busy_timeout instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    if os.environ.get("DJANGO_TEST_SQLITE_NAME"):
        # Tests with a live server share the database across threads; an
        # in-memory shared-cache database fails on a lock at once instead of
        # waiting, a file database waits on busy_timeout.
        DATABASES["default"]["TEST"] = {"NAME": os.environ["DJANGO_TEST_SQLITE_NAME"]}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

if env_bool("DJANGO_FAST_PASSWORD_HASHER"):
    # Tests only: PBKDF2's deliberate slowness would dominate the suite's run time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = os.environ.get("DJANGO_LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------
# Bootstrap comes from the django-bootstrap-static package (installed by pip),
# never from a CDN; whitenoise serves everything in production.
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("DJANGO_PLAIN_STATIC")
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email -------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "crisisdesk@localhost")

# --- Background tasks (Celery + Redis) ----------------------------------------
# Production runs `celery -A crisisdesk worker` and `celery -A crisisdesk beat` against
# REDIS_URL. Without a broker (the embedded demo, plain unit tests) tasks run eagerly,
# in-process, when they are enqueued (after the commit that produced them).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL", "")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
if not CELERY_BROKER_URL:
    # Named so nothing falls back to amqp://localhost. An eager .delay() still takes a producer
    # from the pool (Celery does, to honour its options), which opens this in-memory connection:
    # without a host in the URL kombu logs "No hostname was supplied" on every task of the demo.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
# A message is acknowledged after its task ran, and given back to the queue when the worker
# process dies mid-task: killing a worker loses nothing (tasks are idempotent).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Enqueueing happens after a commit, in the request: give up fast when Redis is down (the
# outbox row is committed and the beat sweep enqueues it later) instead of hanging the page.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 3,
    # An unacknowledged message (its worker died) comes back after this long; the sweep
    # below usually rescues webhook deliveries much sooner.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
}
CELERY_BEAT_SCHEDULE = {
    # Response-clock reminders (incidents.response.services): each is sent once, so a minute is cheap.
    "response-reminders": {"task": "incidents.send_due_reminders", "schedule": 60.0},
    # Stale playbooks (review date passed): one e-mail to the owner per due date (playbooks.services).
    "playbook-review-reminders": {"task": "playbooks.send_review_reminders", "schedule": 3600.0},
    # Spike rules are evaluated as mentions arrive; this sweep catches a lost message.
    "spike-rules": {"task": "incidents.evaluate_spikes", "schedule": 60.0, "options": {"expires": 60.0}},
    # Listening sources (incidents.listening.sources.polling): each source has its own interval and
    # back-off; this tick only decides how often the due ones are looked for.
    "poll-sources": {
        "task": "incidents.poll_sources",
        "schedule": float(env_int("SOURCE_POLL_TICK_SECONDS", 30)),
        "options": {"expires": float(env_int("SOURCE_POLL_TICK_SECONDS", 30))},
    },
    # Source history (one row per minute per source) kept SOURCE_RUN_RETENTION_DAYS.
    "prune-source-runs": {"task": "incidents.prune_source_runs", "schedule": 3600.0, "options": {"expires": 3600.0}},
    "webhooks-sweep": {
        "task": "webhooks.sweep_due_deliveries",
        "schedule": float(env_int("WEBHOOK_SWEEP_SECONDS", 30)),
        # A sweep nobody ran in time is replaced by the next one, not piled up behind it.
        "options": {"expires": float(env_int("WEBHOOK_SWEEP_SECONDS", 30))},
    },
    "chat-sweep": {
        "task": "chat.sweep_due_deliveries",
        "schedule": float(env_int("WEBHOOK_SWEEP_SECONDS", 30)),
        "options": {"expires": float(env_int("WEBHOOK_SWEEP_SECONDS", 30))},
    },
    # Proves beat (publishing it) and a worker (running it) alive: /healthz reports both
    # (crisisdesk.observability.heartbeat). Expires so a backlog does not fake a live worker later.
    "heartbeat": {"task": "crisisdesk.heartbeat", "schedule": 60.0, "options": {"expires": 60.0}},
}

# --- Outbound webhooks ----------------------------------------------------------
# Timeouts of one POST (seconds); a delivery holds its row lock while it is sent.
WEBHOOK_CONNECT_TIMEOUT = float(env_int("WEBHOOK_CONNECT_TIMEOUT", 5))
WEBHOOK_READ_TIMEOUT = float(env_int("WEBHOOK_READ_TIMEOUT", 10))
# Retries: the n-th consecutive failure waits base * 2**(n-1) seconds (capped), with jitter,
# and after WEBHOOK_MAX_ATTEMPTS failed attempts in a row the delivery is dead-lettered.
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 10)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 6 * 60 * 60)
# The sweep re-enqueues deliveries due for longer than this (their message was lost).
WEBHOOK_SWEEP_GRACE_SECONDS = env_int("WEBHOOK_SWEEP_GRACE_SECONDS", 60)

# --- Chat and paging (crisisdesk.chat, Apprise) ------------------------------------
# Chat deliveries use the WEBHOOK_* timeouts, retries and sweep above.
# Fernet key(s) for the destinations' Apprise URLs, comma-separated, newest first (the first
# encrypts, every one decrypts). Unset: derived from SECRET_KEY with HKDF, so changing
# SECRET_KEY makes the stored URLs unreadable (enter them again, or set this key first).
CRISISDESK_SECRETS_KEY = os.environ.get("CRISISDESK_SECRETS_KEY", "")
# Key for the HMAC that signs evidence pack manifests; unset: derived from SECRET_KEY (then a
# pack verifies only on an installation with the same SECRET_KEY).
CRISISDESK_EVIDENCE_KEY = os.environ.get("CRISISDESK_EVIDENCE_KEY", "")
# The public address of this site, for the absolute links in chat messages (no link when empty).
CRISISDESK_SITE_URL = os.environ.get("CRISISDESK_SITE_URL", "").rstrip("/")

# --- Cache (API throttles, debounce marks) -------------------------------------
# Shared by every process: DRF's throttle counters live here, so a per-process cache
# would let N gunicorn workers each grant the whole limit. Redis when REDIS_URL is set
# (CACHE_REDIS_URL overrides it, e.g. another database number); otherwise the database
# table CACHE_TABLE, created by the migration crisisdesk/migrations/0001_cache_table.py
# (``migrate`` is enough). DJANGO_CACHE=locmem keeps it in the process: the test suite only.
CACHE_TABLE = "crisisdesk_cache"
CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL") or os.environ.get("REDIS_URL", "")
if os.environ.get("DJANGO_CACHE", "").strip().lower() == "locmem":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif CACHE_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "crisisdesk.cache.RedisCache",  # Django's, one client reused (crisisdesk/cache.py)
            "LOCATION": CACHE_REDIS_URL,
            "KEY_PREFIX": "crisisdesk",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": CACHE_TABLE}}

# --- REST API ----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: a script with a missing or bad token gets 401 + WWW-Authenticate.
        # DRF's, with the user's permissions in the token's query (crisisdesk.api.authentication).
        "crisisdesk.api.authentication.TokenAuthentication",
        # Integration keys (crisisdesk.apikeys): hashed, scoped, revocable; throttled per key.
        "crisisdesk.apikeys.authentication.APIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # django-filter's, skipped when the query string names no filter (crisisdesk.api.filtering).
    "DEFAULT_FILTER_BACKENDS": ["crisisdesk.api.filtering.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "crisisdesk.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "crisisdesk.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "crisisdesk.api.exceptions.exception_handler",
    # JSON (depth, NUL, lone surrogates, non-finite numbers checked), forms and multipart (strings checked).
    "DEFAULT_PARSER_CLASSES": [
        "crisisdesk.api.parsers.StrictJSONParser",
        "crisisdesk.api.parsers.StrictFormParser",
        "crisisdesk.api.parsers.StrictMultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "crisisdesk.apikeys.authentication.APIKeyRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "60/min"),
        "user": os.environ.get("API_THROTTLE_USER", "6000/min"),
        # Per integration key; a bulk request carries up to 1,000 mentions.
        "apikey": os.environ.get("API_THROTTLE_APIKEY", "1200/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "CrisisDesk API",
    "DESCRIPTION": "Incidents, crisis teams, timelines and facts. Workflow transitions are POST actions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc assets from the drf-spectacular-sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    # Our icon, as on every other page (crisisdesk.favicon serves it at this address).
    "SWAGGER_UI_FAVICON_HREF": "/favicon.ico",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Webhook and chat deliveries share one status choice set: one named component for both.
    "ENUM_NAME_OVERRIDES": {
        "DeliveryStatusEnum": "crisisdesk.webhooks.models.DeliveryStatus",
        "SourceKindEnum": "incidents.listening.sources.models.SourceKind",
    },
    # The error bodies every operation documents (crisisdesk.api.schema); the enum hook is the default one.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "crisisdesk.api.schema.add_error_components",
    ],
}

# --- Security (production values come with DEBUG off) ------------------------
SESSION_COOKIE_HTTPONLY = True
# The session cookie's lifetime, renewed when the session changes...
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_COOKIE_AGE", 60 * 60 * 12)
# ...and the hard limit after sign-in, however active the user (crisisdesk.middleware); 0 disables it.
SESSION_ABSOLUTE_AGE = env_int("DJANGO_SESSION_ABSOLUTE_AGE", 60 * 60 * 12)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("DJANGO_SESSION_EXPIRE_AT_BROWSER_CLOSE", default=False)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading binds the whole domain and its subdomains to HTTPS in browsers for
        # months and is slow to undo: the operator opts in (DJANGO_HSTS_PRELOAD=1), we do
        # not, so check --deploy's reminder about it is silenced while it is off.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Load balancers probe over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy on every response (django-csp's csp.middleware.CSPMiddleware): no
# inline script or style anywhere; the API docs pages widen it for themselves only
# (crisisdesk/urls.py). NONCE adds 'nonce-…' to script-src on the responses whose template
# read {{ csp_nonce }}, and only those. DJANGO_CSP_REPORT_ONLY=1 sends the same policy as
# Content-Security-Policy-Report-Only instead (browsers report, block nothing).
_CSP = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF, CSP_NONCE],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
        "form-action": [CSP_SELF],
        "base-uri": [CSP_NONE],
        "object-src": [CSP_NONE],
    }
}
if env_bool("DJANGO_CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY = None
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP
    CONTENT_SECURITY_POLICY_REPORT_ONLY = None

# --- Sign-in brute-force protection (django-axes) -------------------------------
# After AXES_FAILURE_LIMIT failed sign-ins for one username from one IP address, that
# pair is locked out for the cool-off period (the browser login and the API token
# endpoint alike). Behind a reverse proxy set DJANGO_TRUSTED_PROXY_COUNT so the
# client's address is read from X-Forwarded-For, not the proxy's.
AUTHENTICATION_BACKENDS = [
    "crisisdesk.auth_backends.AxesBackend",
    "crisisdesk.sso.backends.LocalModelBackend",
]

# --- Single sign-on with OpenID Connect (mozilla-django-oidc) --------------------
# Enabled when OIDC_RP_CLIENT_ID is set; endpoints come from OIDC_OP_DISCOVERY or the
# explicit OIDC_OP_*_ENDPOINT variables. See README "Single sign-on".
globals().update(sso_conf.oidc_settings())
OIDC_ENABLED = bool(os.environ.get("OIDC_RP_CLIENT_ID", "").strip())
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "").strip()
OIDC_ROLES_CLAIM = os.environ.get("OIDC_ROLES_CLAIM", "").strip() or "groups"
OIDC_ROLE_VALUES = sso_conf.role_values_from_env()
OIDC_CREATE_USER = env_bool("OIDC_CREATE_USER", default=True)
OIDC_RP_SIGN_ALGO = globals().get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_TIMEOUT = 10
LOGIN_REDIRECT_URL_FAILURE = "/accounts/sso/refused/"
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("crisisdesk.sso.backends.OIDCBackend")
CRISISDESK_LOCAL_LOGIN = os.environ.get("CRISISDESK_LOCAL_LOGIN", "all").strip() or "all"
if CRISISDESK_LOCAL_LOGIN not in sso_conf.LOCAL_LOGIN_CHOICES:
    raise ImproperlyConfigured("CRISISDESK_LOCAL_LOGIN must be all, superusers or off.")
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_LOCKOUT_CALLABLE = "crisisdesk.auth_backends.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# The SSO callback has no password to guess; its failures are the provider's (crisisdesk.sso.backends).
AXES_WHITELIST_CALLABLE = "crisisdesk.sso.backends.axes_exempt"
AXES_VERBOSE = False
if env_int("DJANGO_TRUSTED_PROXY_COUNT", 0):
    AXES_IPWARE_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")

# --- Logs ----------------------------------------------------------------------
# One JSON object per line in production (crisisdesk.logging), plain text on a laptop.
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "crisisdesk.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json" if LOG_FORMAT == "json" else "plain"}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# Celery workers log through LOGGING above (JSON in production) instead of their own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Response clocks and reminders (incidents.response.clocks, .services) ----------------
# A reminder goes out when a clock reaches this share of its target, another when it passes.
RESPONSE_DUE_SOON_PERCENT = env_int("RESPONSE_DUE_SOON_PERCENT", 75)
# A review round open longer than this reminds its reviewers (once).
REVIEW_REMINDER_MINUTES = env_int("REVIEW_REMINDER_MINUTES", 30)
# /healthz gives the broker this many seconds to answer.
HEALTHZ_BROKER_TIMEOUT = env_int("HEALTHZ_BROKER_TIMEOUT", 2)

# Incident references look like CD-2026-0042.
INCIDENT_REFERENCE_PREFIX = os.environ.get("CRISISDESK_REFERENCE_PREFIX", "CD")

# --- Social listening: language detection ------------------------------------
# A mention that arrives without a language is detected (lingua) before it is scored. "low" (the
# default) keeps each process small and fast (+16 MB, 48 ms per 1,000 posts measured here); "high"
# uses lingua's full models (+199 MB per process, 115 ms per 1,000 posts).
MENTION_LANGUAGE_DETECTION = os.environ.get("MENTION_LANGUAGE_DETECTION", "low")
# Sentiment of mentions (docs/sentiment.md): the trained English/French model by default, measured best
# on the evaluation corpus; "incidents.listening.sentiment.LexiconAnalyser" is the small lexicon scorer.
MENTION_SENTIMENT_ANALYSER = os.environ.get(
    "MENTION_SENTIMENT_ANALYSER", "incidents.listening.sentiment_model.LinearModelAnalyser"
)

# --- Observability (crisisdesk.observability, README "Monitoring") -------------------
# /metrics is off (404) unless a bearer token and/or an allow-list of client networks is set.
CRISISDESK_METRICS_TOKEN = os.environ.get("CRISISDESK_METRICS_TOKEN", "")
CRISISDESK_METRICS_ALLOW = env_list("CRISISDESK_METRICS_ALLOW")
# Listening sources: a source failing this long without a success warns on the dashboard and
# notifies the team leads; back-off after consecutive failures; HTTP timeout; demo timer (no broker).
SOURCE_FAILING_WARN_MINUTES = env_int("SOURCE_FAILING_WARN_MINUTES", 30)
SOURCE_BACKOFF_BASE_SECONDS = env_int("SOURCE_BACKOFF_BASE_SECONDS", 30)
SOURCE_BACKOFF_MAX_SECONDS = env_int("SOURCE_BACKOFF_MAX_SECONDS", 3600)
# manage.py listen: a dropped stream reconnects after 1, 2, 4… seconds, at most this (Retry-After wins).
SOURCE_STREAM_BACKOFF_MAX_SECONDS = env_int("SOURCE_STREAM_BACKOFF_MAX_SECONDS", 60)
SOURCE_HTTP_TIMEOUT_SECONDS = env_int("SOURCE_HTTP_TIMEOUT_SECONDS", 15)
SOURCE_DEMO_TIMER_SECONDS = env_int("SOURCE_DEMO_TIMER_SECONDS", 60)
# Source history: error-free batches within one bucket share a row; rows older than the retention go.
SOURCE_RUN_BUCKET_SECONDS = env_int("SOURCE_RUN_BUCKET_SECONDS", 60)
SOURCE_RUN_RETENTION_DAYS = env_int("SOURCE_RUN_RETENTION_DAYS", 7)
# Without a broker (make demo), `manage.py runserver` polls due sources in-process on that timer.
SOURCE_DEMO_TIMER = env_bool("SOURCE_DEMO_TIMER", default=False)

# /healthz calls the worker or beat "stale" (503) when its last heartbeat is older than this.
CRISISDESK_HEARTBEAT_STALE_MINUTES = env_int("CRISISDESK_HEARTBEAT_STALE_MINUTES", 5)
# Sentry error reporting, only when SENTRY_DSN is set (no personal data is sent).
SENTRY_OPTIONS = sentry_options(os.environ)
if SENTRY_OPTIONS is not None:
    init_sentry(SENTRY_OPTIONS)

# --- Two-factor sign-in and step-up (crisisdesk.twofactor, README "Two-factor sign-in and step-up") ---
# ENFORCE: users who enrolled confirm their factor at sign-in; required roles without a device are
# sent to enrolment; every approval, publication and withdrawal needs a recent factor. Off in `make
# demo` and the test suite (crisisdesk/testing/env.py); a user who enrolled gets step-up even then.
CRISISDESK_2FA_ENFORCE = env_bool("CRISISDESK_2FA_ENFORCE", default=True)
CRISISDESK_2FA_REQUIRED_ROLES = env_list("CRISISDESK_2FA_REQUIRED_ROLES", "Legal,Team lead")
CRISISDESK_2FA_REQUIRED_FOR_SUPERUSERS = env_bool("CRISISDESK_2FA_REQUIRED_FOR_SUPERUSERS", default=True)
CRISISDESK_STEP_UP_MINUTES = env_int("CRISISDESK_STEP_UP_MINUTES", 15)
# The issuer name authenticator apps show next to the account.
OTP_TOTP_ISSUER = os.environ.get("CRISISDESK_2FA_ISSUER", "CrisisDesk")


def _site_origin(url: str) -> tuple[str, str]:
    """(origin, host name) of a site address: ``https://crisis.example.org:8443`` and ``crisis.example.org``."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if not (parts.scheme and parts.hostname):
        return "", ""
    return f"{parts.scheme}://{parts.netloc}", parts.hostname


# Passkeys (django-otp-webauthn): the relying party is this site's host name, and a passkey answers
# only for the origins listed (scheme, host and port exactly as the browser shows them). Both derive
# from CRISISDESK_SITE_URL; without it, the local development server (http://localhost:8000).
_SITE_ORIGIN, _SITE_HOST = _site_origin(CRISISDESK_SITE_URL)
CRISISDESK_WEBAUTHN_RP_ID = os.environ.get("CRISISDESK_WEBAUTHN_RP_ID", "") or _SITE_HOST or "localhost"
CRISISDESK_WEBAUTHN_ORIGINS = env_list("CRISISDESK_WEBAUTHN_ORIGINS") or [_SITE_ORIGIN or "http://localhost:8000"]
OTP_WEBAUTHN_RP_ID = CRISISDESK_WEBAUTHN_RP_ID
OTP_WEBAUTHN_RP_NAME = os.environ.get("CRISISDESK_2FA_ISSUER", "CrisisDesk")
OTP_WEBAUTHN_ALLOWED_ORIGINS = CRISISDESK_WEBAUTHN_ORIGINS
# A passkey is a second factor here, never a sign-in on its own (the password or SSO comes first).
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
