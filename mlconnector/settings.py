"""Settings for ml-connector, read from the environment (and `.env`) through django-environ.

Every variable is documented in `.env.example`. Defaults suit a laptop: SQLite under `var/`, Django's
database cache and django-q2's ORM broker, so one web process and one worker share state without Redis.
Production sets `DEBUG=0`, which makes `SECRET_KEY`, `FIELD_ENCRYPTION_KEY` and `ALLOWED_HOSTS` mandatory.
"""

import base64
import hashlib
from pathlib import Path

import environ
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from connections.providers.configuration import provider_settings

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if env.bool("READ_DOT_ENV", default=True):
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

_KEY_HELP = (
    "Generate one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-only-secret-key-do-not-use-in-production"

# Fernet keys, newest first: the first encrypts, all of them decrypt (see rotate_encryption_key).
FIELD_ENCRYPTION_KEY = env.list("FIELD_ENCRYPTION_KEY", default=[])
if not FIELD_ENCRYPTION_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be set when DEBUG is off: it encrypts every stored token "
            f"and secret. {_KEY_HELP}"
        )
    # Development only: a key derived from SECRET_KEY, so a bare checkout runs.
    FIELD_ENCRYPTION_KEY = [base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()]
for _key in FIELD_ENCRYPTION_KEY:
    try:
        Fernet(_key)
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEY holds a value that is not a Fernet key (32 url-safe base64 bytes). {_KEY_HELP}"
        ) from None

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[PUBLIC_BASE_URL])

INSTALLED_APPS = [
    "mlconnector.apps.OperatorsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "django_q",
    "social_django",
    "connections",
    "syncs",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "connections.tenancy.TenantMiddleware",
]

ROOT_URLCONF = "mlconnector.urls"
WSGI_APPLICATION = "mlconnector.wsgi.application"

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
                "connections.tenancy.tenant_context",
            ],
        },
    },
]

# Databases -----------------------------------------------------------------------------------------
(BASE_DIR / "var" / "staticfiles").mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the worker write concurrently: WAL, a busy timeout, and IMMEDIATE transactions
    # avoid "database is locked" on upgrade from a read to a write lock.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache and queue -----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Shared by the web process and every worker without Redis; `createcachetable` makes the table.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"}}

Q_BROKER = env.str("Q_BROKER", default="orm")
if Q_BROKER not in {"orm", "redis"}:
    raise ImproperlyConfigured(f"Q_BROKER must be 'orm' or 'redis', not {Q_BROKER!r}.")
if Q_BROKER == "redis" and not REDIS_URL:
    raise ImproperlyConfigured("Q_BROKER=redis needs REDIS_URL.")

# `retry` must exceed `timeout` or a slow task is handed to a second worker while the first still runs;
# `ack_failures` stops django-q2 re-running failed tasks: our SyncJob rows own attempts and backoff.
# `poll`: how long an idle worker sleeps before asking the ORM broker's table again (Redis blocks instead). A
# webhook crosses the queue twice (event, then job), so 0.5 s made half a second of a note's latency idle.
Q_CLUSTER = {
    "name": "mlconnector",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 120,
    "retry": 300,
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    "poll": 0.1,
    "queue_limit": 50,
    "label": "Task queue",
}
if Q_BROKER == "redis":
    Q_CLUSTER["redis"] = REDIS_URL
    Q_CLUSTER["broker_class"] = "mlconnector.queue.PooledRedis"  # one connection pool per process, not per task
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["broker_class"] = "mlconnector.queue.RequestSafeORM"  # queueing never closes the caller's connection

# Auth ----------------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# "Get started" on the login page: anyone may create a workspace. On in the demo's `.env`, off by default.
ALLOW_SIGNUP = env.bool("ALLOW_SIGNUP", default=False)
EMAIL_VERIFICATION_MAX_AGE = env.int("EMAIL_VERIFICATION_MAX_AGE", default=3 * 86400)
INVITATION_MAX_AGE = env.int("INVITATION_MAX_AGE", default=7 * 86400)
# Login throttling (connections.accounts.login_throttle): failures per account and address, per account from
# every address, and per address alone, in fixed windows of LOGIN_LOCKOUT_SECONDS.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_LIMIT_PER_ACCOUNT = env.int("LOGIN_FAILURE_LIMIT_PER_ACCOUNT", default=20)
LOGIN_FAILURE_LIMIT_PER_ADDRESS = env.int("LOGIN_FAILURE_LIMIT_PER_ADDRESS", default=50)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Connecting providers ------------------------------------------------------------------------------
# social-auth runs the OAuth redirects for *connecting systems*; its backends are deliberately not in
# AUTHENTICATION_BACKENDS, and its pipeline is ours alone (connections.credentials.oauth): it never logs anyone in.
# OAuth apps are registered with each provider with the redirect URL <PUBLIC_BASE_URL>/oauth/complete/<provider>/;
# OAUTH_APPS and SOCIAL_AUTH_AUTHENTICATION_BACKENDS are derived per provider at the end of this file.
SOCIAL_AUTH_PIPELINE = ["connections.credentials.oauth.store_connection"]
SOCIAL_AUTH_REQUESTS_TIMEOUT = 15
SOCIAL_AUTH_STORAGE = "social_django.models.DjangoStorage"
SOCIAL_AUTH_STRATEGY = "connections.credentials.oauth.ConnectStrategy"
# Every outbound call: seconds to connect and to wait for an answer.
PROVIDER_CONNECT_TIMEOUT = env.float("PROVIDER_CONNECT_TIMEOUT", default=5.0)
PROVIDER_READ_TIMEOUT = env.float("PROVIDER_READ_TIMEOUT", default=30.0)
# All provider calls a page makes while a person waits (disconnect, Test), together: well under gunicorn's 30 s.
PROVIDER_PAGE_BUDGET_SECONDS = env.float("PROVIDER_PAGE_BUDGET_SECONDS", default=10.0)
# Webhooks in: largest body accepted, tolerated clock skew of signed timestamps, and how many rejected
# deliveries one address may send per minute before it is refused outright.
WEBHOOK_MAX_BODY_BYTES = env.int("WEBHOOK_MAX_BODY_BYTES", default=1024 * 1024)
WEBHOOK_MAX_SKEW_SECONDS = env.int("WEBHOOK_MAX_SKEW_SECONDS", default=300)
WEBHOOK_REJECTIONS_PER_MINUTE = env.int("WEBHOOK_REJECTIONS_PER_MINUTE", default=30)
# Sync engine: how long a worker holds a job before another may take it over (renewed every third of it
# while the job runs, so a killed worker's job is taken over one lease later; two thirds of it must outlast
# one provider call, connect plus read timeout), how many attempts a job gets (about a day of backoff), and
# what share of a provider's published rate limit we allow ourselves.
SYNC_LEASE_SECONDS = env.int("SYNC_LEASE_SECONDS", default=60)
# A task that drains jobs stops after this long and queues its continuation: django-q2 kills a task at 120 s.
SYNC_TASK_BUDGET_SECONDS = env.int("SYNC_TASK_BUDGET_SECONDS", default=60)
SYNC_MAX_ATTEMPTS = env.int("SYNC_MAX_ATTEMPTS", default=12)
SYNC_RATE_BUDGET_FRACTION = env.float("SYNC_RATE_BUDGET_FRACTION", default=0.8)
# Retention of the sync tables (syncs.retention, scheduled hourly): finished jobs and inbound events older
# than SYNC_RETENTION_DAYS (open failures, the last success of each record and the events jobs point to
# stay), mirror rows of records deleted on their system MIRROR_TOMBSTONE_DAYS after the deletion.
SYNC_RETENTION_DAYS = env.int("SYNC_RETENTION_DAYS", default=30)
MIRROR_TOMBSTONE_DAYS = env.int("MIRROR_TOMBSTONE_DAYS", default=30)
# Names a process keeps in its match indexes, all integrations together (100,000 names: about a second to build
# and tens of megabytes); past it the least recently used indexes are dropped, and rebuilt when next needed.
MATCH_INDEX_MAX_NAMES = env.int("MATCH_INDEX_MAX_NAMES", default=300_000)
# A poll's (or backfill's) claim on its integration lapses after this, so a killed worker stops polling for no
# longer; above the task timeout (Q_CLUSTER), so a poll still running never loses it.
POLL_CLAIM_SECONDS = env.int("POLL_CLAIM_SECONDS", default=300)
# Refresh an access token this long before it expires. A worker's claim on a refresh lapses after
# TOKEN_REFRESH_CLAIM_SECONDS (longer than one call may take), so a worker killed mid-refresh stops no one.
TOKEN_REFRESH_MARGIN_SECONDS = env.int("TOKEN_REFRESH_MARGIN_SECONDS", default=900)
TOKEN_REFRESH_CLAIM_SECONDS = env.int("TOKEN_REFRESH_CLAIM_SECONDS", default=90)

# API -----------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so a bad or missing token is a 401 with a WWW-Authenticate header.
        "connections.accounts.api_tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["connections.api_base.IsTenantMember"],
    "DEFAULT_PARSER_CLASSES": [
        "connections.api_base.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "connections.api_base.CreatedCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ml-connector API",
    "DESCRIPTION": "Connections, integrations and sync state of the active tenant.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Request bodies get components of their own, without the read-only fields a client cannot send.
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "connections.api_schema.document_common_errors",
    ],
}

# Audit ---------------------------------------------------------------------------------------------
# `prune_audit`, scheduled daily, deletes audit events older than this (pinned ones excepted).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=90)

# I18N, static --------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ml-connector <noreply@localhost>")

# Security ------------------------------------------------------------------------------------------
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
# Preloading is hard to undo and concerns the whole domain, so it stays the operator's explicit choice.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# How many proxies of ours append to X-Forwarded-For in front of the app (0: the socket's peer is the client).
# Throttles key on the address this yields; set it to 1 behind one TLS proxy, or every sender looks alike.
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): our own files only. The pages carry no inline script, style or event
# handler (static/js/app.js holds the little behaviour there is), so an injected one would not run. No
# form-action: a connect form is answered with a redirect to the provider's consent page, which it would block.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }
}
# Load balancers probe /healthz over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_HTTPONLY = True

# Logging: one line per record on stderr; secrets never reach a log call (see audit.redaction).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"secrets": {"()": "audit.redaction.SecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["secrets"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Providers ---------------------------------------------------------------------------------------
# SANDBOX_URL points every provider at the local sandbox (`manage.py sandbox`, started by `make demo`).
# The rest is derived from connections.registry and each provider's declaration: per OAuth provider its app
# (<SLUG>_CLIENT_ID and _SECRET, the sandbox's own app by default with SANDBOX_URL) and its social-auth
# backend; per host an override variable (the Host's `setting`, e.g. <SLUG>_API_URL), which wins over
# SANDBOX_URL. Empty means the real provider. `.env.example` lists them; the system check verifies them.
SANDBOX_URL = env.str("SANDBOX_URL", default="").rstrip("/")
globals().update(provider_settings(env, sandbox=bool(SANDBOX_URL)))
