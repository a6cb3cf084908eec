"""Settings for learningmechanics.pub.

One module for every environment: production differs from development only by
environment variables, each documented in the README. The defaults run on one
machine with no server to install (SQLite, Celery's filesystem broker, local
memory cache).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.dev_secret import development_secret_key
from config.env import ImproperlyConfiguredEnv, env_bool, env_float, env_int, env_list, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
SITE_CONTENT_DIR = Path(env_str("SITE_CONTENT_DIR", str(BASE_DIR / "site")))

DEBUG = env_bool("DJANGO_DEBUG", True)

# Production must bring its own key. While debugging without one, the site makes a random
# key once and keeps it in VAR_DIR/secret_key (mode 0600): never a key anyone could read
# in the source and use to sign sessions or unsubscribe links (config/dev_secret.py).
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = development_secret_key(VAR_DIR)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = "learningmechanics.pub"
SITE_ID = 1

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "axes",
    "csp",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "apps.core",
    "apps.accounts",
    "apps.perspectives",
    "apps.questions",
    "apps.experiments",
    "apps.forum",
    "apps.submissions",
    "apps.search",
    "apps.api",
    "apps.content",
    "apps.monitoring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses what holds no secret (apps/core/compression.py); outside the middleware below
    # so that it sees the outcome of sessions, CSRF and authentication.
    "apps.core.compression.AnonymousCompressionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Axes must come last so it sees the outcome of every authentication attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "apps.core.context_processors.site",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# SQLite by default (WAL mode and immediate transactions so that the web server
# and the local worker can share the file); DATABASE_URL selects PostgreSQL.
DATABASE_URL = env_str("DATABASE_URL", "")
# Lets several test runs share a machine without sharing a test database.
TEST_DB_TAG = env_str("TEST_DB_TAG", "main")
if DATABASE_URL:
    # Persistent connections, checked before reuse: after a database restart the first request on each
    # process reconnects instead of failing on the dead connection.
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
    DATABASES["default"]["TEST"] = {"NAME": f"test_lm_{TEST_DB_TAG}"}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            # DJANGO_SQLITE_PATH lets worker processes started by tests open the test database file.
            "NAME": env_str("DJANGO_SQLITE_PATH", str(VAR_DIR / "db.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not memory, so that worker processes started by tests see it.
            "TEST": {"NAME": VAR_DIR / f"test-{TEST_DB_TAG}.sqlite3"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------
# Rate limits and lockouts must be shared across processes in production, so
# REDIS_CACHE_URL selects Redis; local memory is the single-process default.
REDIS_CACHE_URL = env_str("REDIS_CACHE_URL", "")
# Every Redis operation is bounded (REDIS_CACHE_TIMEOUT_S), and a failing or hung Redis reads as a
# miss with a logged warning (apps/core/cache_backends.py): the cache never takes the site down.
# The "pages" cache holds anonymous readers' pages and the versions of their tags
# (apps/core/pagecache.py). Every process that changes what a page shows (web
# processes, workers finishing runs) must see the same one, so without Redis it
# is a folder under VAR_DIR rather than per-process memory.
REDIS_CACHE_TIMEOUT_S = env_float("REDIS_CACHE_TIMEOUT_S", 0.5)
CACHES: dict[str, dict[str, object]]
if REDIS_CACHE_URL:
    _redis_cache_options = {
        "socket_connect_timeout": REDIS_CACHE_TIMEOUT_S,
        "socket_timeout": REDIS_CACHE_TIMEOUT_S,
    }
    CACHES = {
        "default": {
            "BACKEND": "apps.core.cache_backends.FailOpenRedisCache",
            "LOCATION": REDIS_CACHE_URL,
            "OPTIONS": _redis_cache_options,
        },
        "pages": {
            "BACKEND": "apps.core.cache_backends.FailOpenRedisCache",
            "LOCATION": REDIS_CACHE_URL,
            "KEY_PREFIX": "pages",
            "OPTIONS": _redis_cache_options,
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "lm"},
        "pages": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache" / "pages"),
            "OPTIONS": {"MAX_ENTRIES": 20000},
        },
    }
PAGECACHE_ALIAS = "pages"
# Off only to measure or debug: every reading page is then rendered for every request.
PAGECACHE_ENABLED = env_bool("PAGECACHE_ENABLED", True)
# The longest a stored page lives. Freshness never depends on it (writes invalidate their
# pages at once); it bounds the memory used and how stale "active 3 minutes ago" may read.
PAGECACHE_SECONDS = env_int("PAGECACHE_SECONDS", 600, minimum=1)

# --- Authentication -----------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "content:home"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
# Usernames stand beside every display name: ASCII only, never a reserved name, never one that
# reads as an existing member's name (apps/accounts/validators.py).
ACCOUNT_USERNAME_VALIDATORS = "apps.accounts.validators.SIGNUP_USERNAME_VALIDATORS"
ACCOUNT_LOGOUT_ON_GET = False
# allauth keeps its own per-IP limits; axes below is the lockout of record.
ACCOUNT_RATE_LIMITS = {"login_failed": False}

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_float("AXES_COOLOFF_HOURS", 0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "login"
# allauth passes the login as username= or email=; map both to one key per member.
AXES_USERNAME_CALLABLE = "apps.accounts.lockout.lockout_username"
# The client address: REMOTE_ADDR, or the address our proxy appended when BEHIND_PROXY.
AXES_CLIENT_IP_CALLABLE = "apps.accounts.lockout.lockout_client_ip"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

# --- Email --------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "learningmechanics.pub <noreply@learningmechanics.pub>")

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# BokehJS comes from the installed bokeh package (apps.experiments.staticfinders), never a CDN.
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "apps.experiments.staticfinders.BokehFinder",
]
# Figure directives in articles become live embeds backed by runs (apps/experiments/embeds.py).
FIGURE_RESOLVER = "apps.experiments.embeds.figure_resolver"
# Article and question pages list their forum threads; their ETags ask the forum for the threads'
# state through this hook (apps/perspectives/pages.py), since those apps may not import the forum.
DISCUSSION_STATE = "apps.forum.selectors.discussion_state"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names so that static files can be cached for ever. Tests use the
    # plain backend (see tests/conftest.py) so they need no collectstatic.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 31536000 if not DEBUG else 0

# --- Security -----------------------------------------------------------------
# Secure by default whenever DEBUG is off; each can still be turned off behind
# a proxy that handles it.
# Behind a reverse proxy that sets X-Forwarded-Proto and appends to X-Forwarded-For.
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Load balancers probe /healthz/ over plain HTTP inside the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy: no inline scripts, no eval, everything served from
# this origin. Figures are drawn by BokehJS served from our own static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],  # BokehJS sets element styles at run time.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- REST framework -----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # DRF's JSON parser, refusing absurdly nested bodies with a 400 (apps/api/parsers.py); forms as DRF has them.
    "DEFAULT_PARSER_CLASSES": [
        "apps.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # API views also set these on apps.api.base.ApiMixin; here they cover DRF's own views (the schema).
    "EXCEPTION_HANDLER": "apps.api.errors.exception_handler",
}
# Throttle scope -> rate (apps/api/throttles.py reads it on every request). Reads
# are generous (lists are cached and cheap); writes and run requests are the
# scarce resources, so they have their own, tighter buckets. None: no limit.
API_THROTTLE_RATES: dict[str, str | None] = {
    "anon": env_rate("API_THROTTLE_ANON", "1000/minute"),
    "user": env_rate("API_THROTTLE_USER", "2000/minute"),
    "write": env_rate("API_THROTTLE_WRITE", "60/minute"),
    "runs": env_rate("API_THROTTLE_RUNS", "20/minute"),
}
# Rows per page of an API list, and the most a client may ask for with ?page_size=.
API_PAGE_SIZE = 20
API_MAX_PAGE_SIZE = 100
SPECTACULAR_SETTINGS = {
    "TITLE": "learningmechanics.pub API",
    "DESCRIPTION": "Articles, open questions, the forum and reproducible experiment runs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "ArticleKindEnum": "apps.perspectives.models.Kind",
        "ArticleStatusEnum": "apps.perspectives.models.Status",
        "QuestionStatusEnum": "apps.questions.models.QuestionStatus",
        "RunStatusEnum": "apps.experiments.models.RunStatus",
        "NotificationKindEnum": "apps.forum.models.Notification.Kind",
    },
}

# --- Celery -------------------------------------------------------------------
# The filesystem transport needs no server: messages are files under var/.
# CELERY_BROKER_URL=redis://... sends everything through Redis instead.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
BROKER_DIR = Path(env_str("CELERY_BROKER_DIR", str(VAR_DIR / "broker")))
CELERY_TASK_ALWAYS_EAGER = False
# Long jobs (as readthedocs runs builds): acknowledge after the work, give the
# message back when the worker process dies, take one message at a time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # the Run row is the result; no result backend
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"apps.experiments.tasks.execute_run": {"queue": "experiments"}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How long a worker waits for the result of a pool process that died before calling it lost (Celery's
# default, 10 s, is for result backends, which the site has none of). The embedded broker's worker
# notices a killed pool process only through this wait, so its run is given back 1 s after the kill,
# not 10 (measured by tests/faults/).
CELERY_WORKER_LOST_WAIT = 1.0
# Redis redelivers an unacknowledged message after this many seconds; it must
# exceed every experiment's hard time limit or a long run would start twice.
RUNS_VISIBILITY_TIMEOUT_S = env_int("RUNS_VISIBILITY_TIMEOUT_S", 6 * 3600, minimum=60)
# The longest a Redis broker operation may wait (connect or read) before it counts as failed.
REDIS_BROKER_TIMEOUT_S = env_float("REDIS_BROKER_TIMEOUT_S", 5.0)
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport, hardened against a full disk (config/embedded_broker.py).
    CELERY_BROKER_TRANSPORT = "config.embedded_broker:Transport"
    # One folder for both directions: producer and consumer share a machine.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # Seconds between looks at the folder (the default, 1 s, adds half a second to every run).
        "polling_interval": 0.2,
    }
    # Remote control needs a fanout exchange, which this transport lacks.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
else:
    if CELERY_BROKER_URL.startswith("redis://"):
        # kombu's Redis transport, hardened against a Redis that hangs mid-acknowledgement (config/redis_broker.py).
        CELERY_BROKER_TRANSPORT = "config.redis_broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": RUNS_VISIBILITY_TIMEOUT_S,
        # Without these a hung Redis blocks a run request until gunicorn kills its worker (a 500 after 30 s,
        # measured by tests/faults/); with them the request answers the queued run, which the reaper sends
        # later. Above the 1 s a worker's BRPOP waits, so an idle worker never times out.
        "socket_timeout": REDIS_BROKER_TIMEOUT_S,
        "socket_connect_timeout": REDIS_BROKER_TIMEOUT_S,
    }

# --- Experiments --------------------------------------------------------------
RUNS_MAX_CONCURRENT_PER_USER = env_int("RUNS_MAX_CONCURRENT_PER_USER", 3, minimum=1)
RUNS_MAX_PER_DAY_PER_USER = env_int("RUNS_MAX_PER_DAY_PER_USER", 50, minimum=1)
# Estimated compute (seconds, from the runs' own durations) one pass of re-checking published figures may queue.
RUNS_RECHECK_CPU_BUDGET_S = env_int("RUNS_RECHECK_CPU_BUDGET_S", 600, minimum=0)
# Full downloads of run data (result and plotted series) per client per minute; 304s do not count.
RUNS_DOWNLOADS_PER_MINUTE = env_int("RUNS_DOWNLOADS_PER_MINUTE", 30, minimum=1)
# A new member (trust level 0, verified email) may run each experiment's smoke preset this often a day.
RUNS_STARTER_PER_DAY = env_int("RUNS_STARTER_PER_DAY", 3, minimum=0)
# A worker holds a run for this long and renews the lease every 2 s while it works; a run
# whose lease expired is handed to another worker by the reaper. Together they bound how
# long a dead worker's run waits: about lease + reap interval.
RUNS_LEASE_SECONDS = env_int("RUNS_LEASE_SECONDS", 15, minimum=1)
RUNS_REAP_INTERVAL_SECONDS = env_int("RUNS_REAP_INTERVAL_SECONDS", 5, minimum=1)
RUNS_MAX_ATTEMPTS = env_int("RUNS_MAX_ATTEMPTS", 3, minimum=1)
# A queued run nobody claimed for this long is published again when the broker holds fewer
# messages than there are queued runs (a lost message, e.g. a broker restart).
RUNS_REQUEUE_QUEUED_AFTER_SECONDS = env_int("RUNS_REQUEUE_QUEUED_AFTER_SECONDS", 120, minimum=1)

# --- The sandbox of author experiments (docs/submissions.md) ----------------------
# First sandbox slot of this worker node; a prefork child adds its pool index.
SANDBOX_SLOT_BASE = env_int("SANDBOX_SLOT_BASE", 0, minimum=0)
SANDBOX_WALL_SECONDS = env_int("SANDBOX_WALL_SECONDS", 300, minimum=5)
SANDBOX_CPU_SECONDS = env_int("SANDBOX_CPU_SECONDS", 300, minimum=5)
SANDBOX_MEMORY_MB = env_int("SANDBOX_MEMORY_MB", 3072, minimum=256)  # address space of one process
# The whole run, every process it starts, in a cgroup of its own: memory with the kernel
# memory it causes (socket buffers, inodes), tasks (threads too), CPUs' worth of time.
SANDBOX_RUN_MEMORY_MB = env_int("SANDBOX_RUN_MEMORY_MB", 4096, minimum=256)
SANDBOX_PROCESSES = env_int("SANDBOX_PROCESSES", 64, minimum=8)
SANDBOX_CPUS = env_float("SANDBOX_CPUS", 1.0)
if not 0.01 <= SANDBOX_CPUS <= 1024:
    raise ImproperlyConfiguredEnv(f"SANDBOX_CPUS={SANDBOX_CPUS} must be between 0.01 and 1024")
# Where the runs' cgroups go, relative to the cgroup root; empty: /lm-sandbox on cgroup v2,
# lm-sandbox inside the worker's own cgroup on v1 (compute/sandbox/cgroups.py).
SANDBOX_CGROUP = env_str("SANDBOX_CGROUP", "")

# --- Forum --------------------------------------------------------------------
# Posts (threads included) a minute for any member below moderator, counted in
# the cache, so REDIS_CACHE_URL makes the count hold across web processes.
FORUM_POSTS_PER_MINUTE = env_int("FORUM_POSTS_PER_MINUTE", 5, minimum=1)
# New members (trust level 0, apps.accounts.trust) are held to these.
FORUM_TL0_POSTS_PER_DAY = env_int("FORUM_TL0_POSTS_PER_DAY", 10, minimum=1)
FORUM_TL0_MAX_LINKS = env_int("FORUM_TL0_MAX_LINKS", 2, minimum=0)
FORUM_TL0_MAX_MENTIONS = env_int("FORUM_TL0_MAX_MENTIONS", 2, minimum=0)
# Everyone else may still not mention a crowd at once.
FORUM_MAX_MENTIONS = env_int("FORUM_MAX_MENTIONS", 10, minimum=1)
FORUM_POSTS_PER_PAGE = env_int("FORUM_POSTS_PER_PAGE", 25, minimum=1)
FORUM_THREADS_PER_PAGE = env_int("FORUM_THREADS_PER_PAGE", 30, minimum=1)

# --- Operations: readiness and metrics (docs/operations.md) ------------------------------------
# Every request is counted by the view that answered it; outermost, so it sees every response.
MIDDLEWARE.insert(0, "apps.monitoring.middleware.RequestMetricsMiddleware")
# /metrics/ (Prometheus) is closed unless one of these is set: a bearer token the scraper sends, or the
# addresses (single IPs or networks, e.g. 10.0.0.0/8) it scrapes from, matched against REMOTE_ADDR.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", [])
for _allowed in METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_allowed, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {_allowed!r} is not an address or a network") from None
# Probes and scrapers speak plain HTTP inside the private network.
SECURE_REDIRECT_EXEMPT += [r"^readyz/$", r"^metrics/$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
