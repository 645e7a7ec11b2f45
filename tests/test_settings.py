"""Settings come from the environment; each case runs in a fresh interpreter."""

from __future__ import annotations

import json

import pytest

from tests.fresh_interpreter import PRODUCTION_ENV, run_python

# A fresh interpreter with its own environment: the suite's database is not used.
pytestmark = pytest.mark.same_on_every_backend

READ_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ENGINE": settings.DATABASES["default"]["ENGINE"],
    "DB_NAME": str(settings.DATABASES["default"]["NAME"]),
    "LAYER": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "LIVE_API_BASE": settings.LIVE_API_BASE,
}))
"""


def read_settings(env: dict[str, str]) -> dict:
    result = run_python(env, "-c", READ_SETTINGS)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_defaults_need_nothing_installed():
    values = read_settings({"DJANGO_DEBUG": "1"})
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["LAYER"] == "channels.layers.InMemoryChannelLayer"
    assert values["LIVE_API_BASE"] == "http://127.0.0.1:8765"


def test_secret_key_is_required_without_debug():
    result = run_python({"DJANGO_DEBUG": "0"}, "-c", READ_SETTINGS)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_database_url_selects_postgresql():
    values = read_settings(
        {**PRODUCTION_ENV, "DATABASE_URL": "postgres://u:p@db.internal:5432/continuum"}
    )
    assert values["ENGINE"] == "django.db.backends.postgresql"
    assert values["DB_NAME"] == "continuum"


def test_redis_url_selects_the_redis_channel_layer():
    values = read_settings({**PRODUCTION_ENV, "REDIS_URL": "redis://cache:6379/0"})
    assert values["LAYER"] == "channels_redis.core.RedisChannelLayer"


def test_allowed_hosts_come_from_a_comma_separated_list():
    values = read_settings(
        {**PRODUCTION_ENV, "DJANGO_ALLOWED_HOSTS": "a.example.com, b.example.com"}
    )
    assert values["ALLOWED_HOSTS"] == ["a.example.com", "b.example.com"]


@pytest.mark.parametrize("variable", ["DJANGO_DEBUG", "DJANGO_SECURE_COOKIES"])
def test_a_bad_boolean_is_a_clear_error(variable):
    result = run_python({**PRODUCTION_ENV, variable: "maybe"}, "-c", READ_SETTINGS)
    assert result.returncode != 0
    assert f"{variable} must be a boolean" in result.stderr


def test_check_deploy_is_clean_with_production_env():
    result = run_python(
        {
            **PRODUCTION_ENV,
            "DATABASE_URL": "postgres://u:p@db.internal:5432/continuum",
            "REDIS_URL": "redis://cache:6379/0",
        },
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LIVE_API_BASE", "ftp://example.com"),
        ("LIVE_AUTH_MODE", "password"),
        ("CONVERSATION_LEASE_TTL_S", "soon"),
    ],
)
def test_bad_live_settings_are_a_clear_error(variable, value):
    result = run_python({"DJANGO_DEBUG": "1", variable: value}, "-c", READ_SETTINGS)
    assert result.returncode != 0
    assert variable in result.stderr
