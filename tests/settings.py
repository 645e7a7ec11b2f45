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

# The cache holds login rate limits; with Redis it is shared by every run on the
# machine. One key prefix per run, which the test servers inherit.
CACHES["default"]["KEY_PREFIX"] = os.environ.setdefault(  # noqa: F405
    "CONTINUUM_TEST_CACHE_PREFIX", f"test-{uuid.uuid4().hex[:12]}"
)

# Live servers started by the tests serve static files straight from the finders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
