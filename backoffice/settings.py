"""Shelfwise settings.

Everything an operator may change comes from an environment variable. Development
(the default) runs on embedded defaults: SQLite and the database cache in ``var/``,
the filesystem Celery broker. ``DJANGO_ENV=production`` refuses to start without a
secret key and allowed hosts, and turns on the deployment hardening.
"""

import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from backoffice import csp_policy, unfold_config
from backoffice.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SHELFWISE_VAR_DIR", str(BASE_DIR / "var")))

DJANGO_ENV = env_str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'.")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    SECRET_KEY = env_str("DJANGO_SECRET_KEY", required=True)
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", required=True)
else:
    SECRET_KEY = env_str(
        "DJANGO_SECRET_KEY", "development-only-key-never-used-in-production-0123456789"
    )
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # unfold must come before django.contrib.admin so its templates win.
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.import_export",
    "unfold.contrib.simple_history",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "dj_rest_auth",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "simple_history",
    "axes",
    "django_celery_results",
    "post_office",
    "backoffice.core",
    "accounts",
    "library",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise: static files need no policy; every page and API answer gets one.
    "csp.middleware.CSPMiddleware",
    # Django's own four, skipped for the API, which has no session (core/page_middleware.py).
    "backoffice.core.page_middleware.PageSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "backoffice.core.page_middleware.PageCsrfViewMiddleware",
    "backoffice.core.page_middleware.PageAuthenticationMiddleware",
    "backoffice.core.page_middleware.PageMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # axes must be last: it turns a lockout flagged during authentication into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "backoffice" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "db.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction starts, so two borrows can
        # never both read the same counter before either writes (SQLite has no row locks).
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The same backend, checking a kept connection without a round trip per request and
    # keeping the circulation's statements prepared (off behind a pooler that cannot).
    DATABASES["default"]["ENGINE"] = "backoffice.core.postgresql"
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        # Only cursors that ask for it prepare: Django's own bind values client-side.
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # axes first so a locked-out username+IP is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.RoleAwareModelBackend",
]

# --- Cache and sessions ---------------------------------------------------------------
# The cache holds what can be recomputed or asked for again (the dashboard's statistics,
# import previews waiting for confirmation), shared by every process: the database cache,
# or Redis when REDIS_URL is set. A Redis outage falls back on the database cache
# (backoffice.core.cache); nothing a request needs to succeed lives only in Redis.
REDIS_URL = env_str("REDIS_URL", "")
DATABASE_CACHE = {
    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "LOCATION": "shelfwise_cache",
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "backoffice.core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"FALLBACK": "database"},
        },
        "database": DATABASE_CACHE,
    }
else:
    CACHES = {"default": DATABASE_CACHE}

# Sessions (the admin's logins) in the database whatever the cache: a Redis outage must not
# log librarians out or lock them out, and a logout must hold even while Redis is away.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Internationalisation, static files -----------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
# Serve app static files straight from their packages in development, no collectstatic needed.
WHITENOISE_USE_FINDERS = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Circulation rules ----------------------------------------------------------------
LOAN_PERIOD_DAYS = env_int("LOAN_PERIOD_DAYS", 14)
MAX_OPEN_BORROWS = env_int("MAX_OPEN_BORROWS", 5)
BORROW_RATE = env_str("BORROW_RATE", "20/hour")
RENEWALS_ALLOWED = env_int("RENEWALS_ALLOWED", 2)
MAX_OPEN_HOLDS = env_int("MAX_OPEN_HOLDS", 5)
HOLD_PICKUP_DAYS = env_int("HOLD_PICKUP_DAYS", 7)
HOLD_EXPIRY_EVERY_MINUTES = env_int("HOLD_EXPIRY_EVERY_MINUTES", 15)
# Generated library cards start with these digits (accounts.cards); 1 to 6 ASCII digits.
LIBRARY_CARD_PREFIX = env_str("LIBRARY_CARD_PREFIX").strip() or "29"
if not re.fullmatch(r"[0-9]{1,6}", LIBRARY_CARD_PREFIX):
    raise ImproperlyConfigured(
        f"LIBRARY_CARD_PREFIX must be 1 to 6 digits (0-9), not {LIBRARY_CARD_PREFIX!r}."
    )
# Reader privacy: days a returned loan keeps its patron before the nightly job moves it to
# the anonymised patron; unset (or empty) keeps it. A patron's own choice overrides it.
LOAN_HISTORY_RETENTION_DAYS = (
    env_int("LOAN_HISTORY_RETENTION_DAYS", 0)
    if env_str("LOAN_HISTORY_RETENTION_DAYS").strip()
    else None
)
if LOAN_HISTORY_RETENTION_DAYS is not None and LOAN_HISTORY_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("LOAN_HISTORY_RETENTION_DAYS must be at least 1 (or unset: keep).")
LOAN_ANONYMISE_HOUR = env_int("LOAN_ANONYMISE_HOUR", 3)
# Rate-limit counters (backoffice.core.throttling): Redis when REDIS_URL is set, otherwise a
# database table. Both count atomically, so parallel requests cannot overrun a limit.
THROTTLE_REDIS_URL = REDIS_URL
THROTTLE_KEY_PREFIX = "throttle:"
STATS_DEFAULT_PERIOD_DAYS = 30
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 60)

# --- Blocks and notices ---------------------------------------------------------------
# A patron with a loan more than this many days overdue may not borrow, renew or place holds.
BLOCK_AFTER_OVERDUE_DAYS = env_int("BLOCK_AFTER_OVERDUE_DAYS", 28)
# Courtesy notice: loans due within this many days (library calendar days).
NOTICE_DUE_SOON_DAYS = env_int("NOTICE_DUE_SOON_DAYS", 3)
# Overdue notices: one at each of these days past the due date.
try:
    NOTICE_OVERDUE_DAYS = sorted(
        {int(d) for d in env_list("NOTICE_OVERDUE_DAYS", ["1", "7", "14"])}
    )
except ValueError:
    raise ImproperlyConfigured("NOTICE_OVERDUE_DAYS must be whole days, e.g. 1,7,14.") from None
# Pickup reminder: ready holds whose deadline falls within this many days (1: tomorrow).
NOTICE_PICKUP_REMINDER_DAYS = env_int("NOTICE_PICKUP_REMINDER_DAYS", 1)
# Holds expired in the last this many days are told so; older ones are not (a first run).
NOTICE_EXPIRED_WITHIN_DAYS = env_int("NOTICE_EXPIRED_WITHIN_DAYS", 7)
NOTICE_HOUR = env_int("NOTICE_HOUR", 8)
NOTICE_MINUTE = env_int("NOTICE_MINUTE", 0)
NOTICE_BATCH_SIZE = env_int("NOTICE_BATCH_SIZE", 500)
if any(d < 1 for d in NOTICE_OVERDUE_DAYS) or NOTICE_DUE_SOON_DAYS < 0:
    raise ImproperlyConfigured("NOTICE_OVERDUE_DAYS must be days >= 1, NOTICE_DUE_SOON_DAYS >= 0.")

# --- Mail (django-post-office: a queue in the database, retries, a log) -----------------
# Everything sent goes into post-office's queue (EMAIL_BACKEND), in the transaction that
# decided to send it; library.tasks.deliver_mail hands it to MAIL_DELIVERY_BACKEND.
# Development: files in var/mail/ (or the console); production: SMTP from the env.
MAIL_DIR = Path(env_str("MAIL_DIR", str(VAR_DIR / "mail")))
EMAIL_BACKEND = "post_office.EmailBackend"
MAIL_DELIVERY_BACKEND = env_str(
    "MAIL_DELIVERY_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = str(MAIL_DIR)
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set at most one of EMAIL_USE_TLS and EMAIL_USE_SSL.")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "Shelfwise library <library@localhost>"
MAIL_MAX_RETRIES = env_int("MAIL_MAX_RETRIES", 6)
# First retry after this many seconds, then twice as long each time (60 s … 32 min).
MAIL_RETRY_SECONDS = env_int("MAIL_RETRY_SECONDS", 60)
MAIL_DELIVERY_EVERY_SECONDS = env_int("MAIL_DELIVERY_EVERY_SECONDS", 60)
# A worker that took mail to send and died holds it this long before another may send it.
MAIL_DELIVERY_LEASE_SECONDS = env_int("MAIL_DELIVERY_LEASE_SECONDS", 600)
POST_OFFICE = {
    "BACKENDS": {"default": MAIL_DELIVERY_BACKEND},
    "MAX_RETRIES": MAIL_MAX_RETRIES,
    "RETRY_INTERVAL": timedelta(seconds=MAIL_RETRY_SECONDS),
    "BATCH_SIZE": 100,
    # Sending runs in our own Celery task (library.tasks.deliver_mail), which claims mail
    # first so that two workers never send one message twice.
    "CELERY_ENABLED": False,
    "THREADS_PER_PROCESS": 1,
    "LOG_LEVEL": 2,
    "DEFAULT_PRIORITY": "medium",
}
# Password reset mail: where its link points ({uid} and {token} filled in). Empty: the
# mail gives the two codes for the patron's app to post to /auth/password/reset/confirm/.
PASSWORD_RESET_LINK = env_str("PASSWORD_RESET_LINK", "")
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT_SECONDS", 3 * 24 * 3600)
PASSWORD_RESET_RATE = env_str("PASSWORD_RESET_RATE", "5/hour")

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.ExpiringTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "backoffice.core.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "backoffice.core.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "backoffice.core.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "backoffice.core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "backoffice.core.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only, nested at most 32 deep (deeper bodies would crash Python's json module).
    "DEFAULT_PARSER_CLASSES": ["backoffice.core.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "backoffice.core.api.RememberedContentNegotiation",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

TOKEN_TTL_MINUTES = env_int("TOKEN_TTL_MINUTES", 60)
REST_KNOX = {
    "TOKEN_TTL": timedelta(minutes=TOKEN_TTL_MINUTES),
    "AUTO_REFRESH": False,
}
REST_AUTH = {
    "TOKEN_MODEL": "knox.models.AuthToken",
    "TOKEN_CREATOR": "accounts.tokens.create_knox_token",
    "TOKEN_SERIALIZER": "accounts.serializers.IssuedTokenSerializer",
    "USER_DETAILS_SERIALIZER": "accounts.serializers.UserDetailsSerializer",
    "SESSION_LOGIN": False,
    "LOGIN_SERIALIZER": "accounts.serializers.LoginSerializer",
    "PASSWORD_RESET_SERIALIZER": "accounts.passwords.PasswordResetSerializer",
    "PASSWORD_RESET_CONFIRM_SERIALIZER": "accounts.passwords.PasswordResetConfirmSerializer",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Shelfwise API",
    "DESCRIPTION": (
        "Catalogue, circulation, statistics and reports of the Shelfwise library.\n\n"
        "Authentication: `POST /auth/login/` returns a key; send it as "
        "`Authorization: Token <key>` (the word `Token`, a space, the key; not `Bearer`). "
        "Request bodies are JSON. Lists are pages `{count, next, previous, results}` "
        "(`page`, `page_size` at most 100). Refusals are `Error` (`{detail, code}`), invalid "
        "input is `ValidationError` (a map of fields to messages). operationIds are stable."
    ),
    "VERSION": "1.0.0",
    "LICENSE": {"name": "Proprietary"},
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Bodies are JSON only, whatever parsers a library's view lists.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    "ENUM_NAME_OVERRIDES": {
        "HealthStatusEnum": ["ok", "degraded"],
        "ReachabilityEnum": ["ok", "unreachable"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "backoffice.core.schema_errors.error_codes_hook",
        "backoffice.core.schema_errors.servers_hook",
        "backoffice.core.schema_links.links_hook",
    ],
}

# --- Login lockout (django-axes; the policy is explained in accounts/lockout.py) -------
# Failures of one username from one client address, then of one username from anywhere.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
# Ours, not axes': read by accounts.lockout.TwoTierLockoutHandler.
AXES_USERNAME_FAILURE_LIMIT = env_int("AXES_USERNAME_FAILURE_LIMIT", 20)
if not 1 <= AXES_FAILURE_LIMIT <= AXES_USERNAME_FAILURE_LIMIT:
    raise ImproperlyConfigured(
        "Need 1 <= AXES_FAILURE_LIMIT <= AXES_USERNAME_FAILURE_LIMIT (per address, then "
        "per username over all addresses)."
    )
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "accounts.lockout.TwoTierLockoutHandler"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip_address"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# A refused attempt neither counts nor extends the lockout: a locked-out address cannot
# push the username-wide count towards locking the account for everyone.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Proxies in front of the application that append the client's address to
# X-Forwarded-For (1 for one TLS proxy). 0: the header is ignored, REMOTE_ADDR is the client.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")

# --- Celery and reports ---------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A task taken by a worker that then dies (SIGKILL, a lost machine) is given to another
    # worker after this long. Keep it above the longest task's run time, or a task still
    # running would be handed out a second time.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 300),
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Deployments (or smoke tests) sharing one Redis keep their tasks apart with their own queue;
# web, workers and beat of one deployment must use the same name.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE") or "celery"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "daily-library-report": {
        "task": "reports.tasks.generate_report",
        "schedule": crontab(hour=env_int("REPORT_HOUR", 2), minute=env_int("REPORT_MINUTE", 0)),
    },
    "hourly-expired-token-cleanup": {
        "task": "accounts.tasks.delete_expired_tokens",
        "schedule": crontab(minute=0),
    },
    "hourly-rate-counter-cleanup": {
        "task": "accounts.tasks.delete_expired_rate_counters",
        "schedule": crontab(minute=5),
    },
    "daily-notices": {
        "task": "library.tasks.send_notices",
        "schedule": crontab(hour=NOTICE_HOUR, minute=NOTICE_MINUTE),
    },
    "mail-delivery": {
        "task": "library.tasks.deliver_mail",
        "schedule": timedelta(seconds=MAIL_DELIVERY_EVERY_SECONDS),
    },
    "hold-expiry": {
        "task": "library.tasks.expire_holds",
        "schedule": timedelta(minutes=HOLD_EXPIRY_EVERY_MINUTES),
    },
    "nightly-loan-anonymisation": {
        "task": "library.tasks.anonymise_returned_loans",
        "schedule": crontab(hour=LOAN_ANONYMISE_HOUR, minute=30),
    },
    "lost-report-task-reaper": {
        "task": "reports.tasks.reap_lost_report_tasks",
        "schedule": crontab(minute="*/5"),
    },
}
# A report task STARTED longer ago than this, whose worker does not answer a ping within
# REPORT_TASK_PING_SECONDS, is marked FAILURE (by the beat job above, and when its status is
# asked for). Keep it above CELERY_VISIBILITY_TIMEOUT, so a live worker gets the task back
# first, and above the longest report's run time.
REPORT_TASK_STALE_MINUTES = env_int("REPORT_TASK_STALE_MINUTES", 10)
REPORT_TASK_PING_SECONDS = env_int("REPORT_TASK_PING_SECONDS", 2)
REPORTS_DIR = Path(env_str("REPORTS_DIR", str(VAR_DIR / "reports")))

# --- Admin theme ----------------------------------------------------------------------
# The sidebar, dashboard and badge live in their own module; lazy URLs keep it importable here.
UNFOLD = unfold_config.UNFOLD

# --- Content-Security-Policy (django-csp): the policy and its reasons, in its own module -
CONTENT_SECURITY_POLICY = csp_policy.CONTENT_SECURITY_POLICY

# --- Production hardening -------------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
