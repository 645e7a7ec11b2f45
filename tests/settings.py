"""Settings for the test suite: the app's settings plus fast test-only backends."""

import os
import uuid

os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]


def _prefix_of_this_run(variable: str) -> str:
    """A name prefix of this test process, which the servers it starts inherit.

    A parallel test process (pytest-xdist) takes its own even though it inherits
    the controller's environment: each has its own database, so ids repeat.
    """
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ[variable] = f"test-{uuid.uuid4().hex[:12]}"
    return os.environ.setdefault(variable, f"test-{uuid.uuid4().hex[:12]}")


# The cache holds login rate limits; with Redis it is shared by every run on the
# machine. One key prefix per run, which the test servers inherit.
CACHES["default"]["KEY_PREFIX"] = _prefix_of_this_run("CONTINUUM_TEST_CACHE_PREFIX")  # noqa: F405

# Live servers started by the tests serve static files straight from the finders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Parallel test processes share one Redis: each keeps its groups (user groups are
# named by user id, which every test database starts from 1) under its own prefix,
# which the test servers it starts inherit.
if CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer":  # noqa: F405
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = _prefix_of_this_run(  # noqa: F405
        "CONTINUUM_TEST_LAYER_PREFIX"
    )
