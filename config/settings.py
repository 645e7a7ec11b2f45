"""Continuum settings, read from the environment.

Embedded defaults need nothing installed: SQLite, the in-memory channel layer
and the bundled Live emulator. Production differs only through env vars.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_fernet_key(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if value:
        try:
            Fernet(value)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{name} must be a Fernet key (32 url-safe base64-encoded bytes); "
                "make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            ) from exc
    return value


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_at_least(name: str, default: int, minimum: int) -> int:
    value = env_int(name, default)
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


RATE = re.compile(r"([1-9][0-9]*)/([smhd])")


def env_rate(name: str, default: str) -> str:
    """A rate such as ``30/m``: a count per second, minute, hour or day."""
    value = (os.environ.get(name) or default).strip()
    if not RATE.fullmatch(value):
        raise ImproperlyConfigured(
            f"{name} must be a count per s, m, h or d (e.g. 30/m), got {value!r}"
        )
    return value


# CORE
# ------------------------------------------------------------------------------
DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off."
        )
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "csp",
    "allauth",
    "allauth.account",
    "accounts",
    "conversations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# DATABASES
# ------------------------------------------------------------------------------
# Connections persist: a worker's database calls share one connection instead of
# opening one each (costly on PostgreSQL), checked before reuse.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads write at once (each HTTP request has its own; the sockets
    # share one). A transaction takes the write lock as it begins, and waits for
    # it: a deferred one that read first fails at once with "database is locked"
    # when it tries to write beside another writer. WAL lets reads go on during a
    # write.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# CHANNELS AND CACHE
# ------------------------------------------------------------------------------
# The cache holds the login rate limits: with several workers it must be shared,
# or each worker would allow its own quota of password guesses.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # A worker waits for its sockets' messages with 5 s blocking
                # reads. No client read timeout: redis-py's own (5 s) would end
                # them first, and every waiting socket with them; and a read
                # under any timeout could miss its cancellation when its reply
                # arrived just then, so a closed socket's read went on. A dead
                # peer is found by TCP keepalive instead.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": None,
                        "socket_keepalive": True,
                    }
                ],
                # channels_redis queues the messages for all of a worker's
                # sockets together: its default room (100) overflows, dropping
                # transcript events, as soon as a busy worker falls behind.
                "capacity": 5000,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "continuum",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# AUTH
# ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "conversations:conversation_list"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "none")
ACCOUNT_UNIQUE_EMAIL = True
# allauth answers 429 past "login" (every login POST from one address). Past
# "login_failed" (per address, and per account however many addresses try it)
# it refuses even the right password until the oldest failure leaves the window.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
}
_VALIDATION = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATION}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATION}.MinimumLengthValidator"},
    {"NAME": f"{_VALIDATION}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATION}.NumericPasswordValidator"},
]

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "continuum@localhost")

# I18N
# ------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# STATIC
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# SECURITY (production)
# ------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env_bool("DJANGO_BEHIND_TLS_PROXY", False)
    else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Every page, the admin's and allauth's too, loads scripts, styles and everything
# else from this site only: no inline script or style, no CDN (django-csp).
_SELF, _NONE = "'self'", "'none'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF],
        "img-src": [_SELF],
        "font-src": [_SELF],
        "connect-src": [_SELF],  # the conversation socket is same-origin
        "media-src": [_SELF],
        "worker-src": [_SELF],
        "object-src": [_NONE],
        "base-uri": [_NONE],
        "form-action": [_SELF],
        "frame-ancestors": [_NONE],
    }
}
# The conversation page asks for the microphone; nothing else is ever needed.
PERMISSIONS_POLICY = (
    "microphone=(self), camera=(), geolocation=(), payment=(), usb=(), "
    "display-capture=()"
)

# LIVE (Gemini Live API or the bundled emulator)
# ------------------------------------------------------------------------------
EMULATOR_API_KEY = "emulator-key"  # noqa: S105  - accepted only by the local emulator
GEMINI_API_KEY = os.environ.get("GEMINI_API_KEY", "")
LIVE_API_BASE = os.environ.get("LIVE_API_BASE") or (
    "https://generativelanguage.googleapis.com"
    if GEMINI_API_KEY
    else "http://127.0.0.1:8765"
)
if not LIVE_API_BASE.startswith(("http://", "https://")):
    raise ImproperlyConfigured("LIVE_API_BASE must be an http:// or https:// URL.")
LIVE_MODEL = os.environ.get("LIVE_MODEL", "gemini-3.8-live")
# "ephemeral": mint a single-use token per connection attempt; "key": send the key.
LIVE_AUTH_MODE = os.environ.get("LIVE_AUTH_MODE", "ephemeral")
if LIVE_AUTH_MODE not in {"ephemeral", "key"}:
    raise ImproperlyConfigured("LIVE_AUTH_MODE must be 'ephemeral' or 'key'.")

# How long a socket's hold on a conversation's upstream lasts without renewal:
# a worker that dies mid-conversation frees it this many seconds later.
CONVERSATION_LEASE_TTL_S = float(env_int("CONVERSATION_LEASE_TTL_S", 6))
# Reconnect policy towards Live: attempts before giving up, and the backoff cap.
LIVE_MAX_ATTEMPTS = env_int("LIVE_MAX_ATTEMPTS", 6)
LIVE_MAX_BACKOFF_MS = env_int("LIVE_MAX_BACKOFF_MS", 8000)
# Context-window compression keeps sessions past the 15-minute audio cap.
LIVE_COMPRESSION = env_bool("LIVE_COMPRESSION", True)
# How many stored items seed a new Live session when its handle is gone.
LIVE_SEED_MAX_ITEMS = env_int("LIVE_SEED_MAX_ITEMS", 200)
# Encrypts stored resumption handles (conversations.fields). Unset: a key derived
# from SECRET_KEY, which `check --deploy` flags. Changing it makes stored handles
# unreadable: their conversations resume from the transcript instead.
RESUMPTION_HANDLE_KEY = env_fernet_key("RESUMPTION_HANDLE_KEY")

# LIMITS (what one user may cost)
# ------------------------------------------------------------------------------
# Upstream Live sessions one user holds at once, across workers; a conversation
# opened past it offers to pause the user's conversation idle longest.
CONVERSATION_MAX_LIVE_PER_USER = env_at_least("CONVERSATION_MAX_LIVE_PER_USER", 3, 1)
# Seconds without input or a streaming reply before a conversation lets its
# upstream go (paused; its next input resumes it with its handle). 0: never.
CONVERSATION_IDLE_PAUSE_S = env_at_least("CONVERSATION_IDLE_PAUSE_S", 300, 0)
# Seconds a socket may stay open without sending hello.
CONVERSATION_HELLO_TIMEOUT_S = env_at_least("CONVERSATION_HELLO_TIMEOUT_S", 10, 1)
# Per user, over every socket and worker (counted in the cache).
CONVERSATION_TURN_RATE = env_rate("CONVERSATION_TURN_RATE", "30/m")
CONVERSATION_CREATE_RATE = env_rate("CONVERSATION_CREATE_RATE", "20/h")

# LOGGING
# ------------------------------------------------------------------------------
# No key, token or handle is written at any level: the websockets client, which
# logs its request headers and every frame at DEBUG, never goes below INFO, and
# the console redacts secrets whatever logs them.
LOG_LEVEL = os.environ.get("DJANGO_LOG_LEVEL", "INFO").upper()
_NOT_BELOW_INFO = "INFO" if LOG_LEVEL in {"DEBUG", "NOTSET"} else LOG_LEVEL
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_secrets": {
            "()": "config.log_redaction.RedactSecrets",
            "secrets": [GEMINI_API_KEY],
        }
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "websockets": {"level": _NOT_BELOW_INFO},
        # Without Django's default handlers, its records reach the console once,
        # and through the filter.
        "django": {"handlers": [], "level": _NOT_BELOW_INFO},
    },
}
