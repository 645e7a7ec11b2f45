"""The login rate limits' cache and the resumption-handle key come from the env."""

from __future__ import annotations

import json

from tests.fresh_interpreter import PRODUCTION_ENV, run_python

READ_SECURITY_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
cache = settings.CACHES["default"]
print(json.dumps({
    "CACHE": cache["BACKEND"],
    "LOCATION": cache.get("LOCATION", ""),
    "LOGIN_FAILED": settings.ACCOUNT_RATE_LIMITS["login_failed"],
}))
"""
KEY = "NtAZC-3JKRGP7QCxAJDz7A3T2VhvCdVnIFIZRP5Smck="


def read_security_settings(env: dict[str, str]) -> dict:
    result = run_python(env, "-c", READ_SECURITY_SETTINGS)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_redis_the_cache_is_local_memory():
    values = read_security_settings({"DJANGO_DEBUG": "1"})
    assert values["CACHE"] == "django.core.cache.backends.locmem.LocMemCache"


def test_redis_url_selects_a_shared_redis_cache():
    values = read_security_settings(
        {**PRODUCTION_ENV, "REDIS_URL": "redis://cache:6379/0"}
    )
    assert values["CACHE"] == "django.core.cache.backends.redis.RedisCache"
    assert values["LOCATION"] == "redis://cache:6379/0"


def test_failed_logins_are_limited_per_address_and_per_account():
    rates = read_security_settings({"DJANGO_DEBUG": "1"})["LOGIN_FAILED"].split(",")
    assert {rate.rsplit("/", 1)[-1] for rate in rates} == {"ip", "key"}


def test_a_malformed_resumption_handle_key_is_a_clear_error():
    env = {**PRODUCTION_ENV, "RESUMPTION_HANDLE_KEY": "not-a-fernet-key"}
    result = run_python(env, "-c", READ_SECURITY_SETTINGS)
    assert result.returncode != 0
    assert "RESUMPTION_HANDLE_KEY must be a Fernet key" in result.stderr
    assert "not-a-fernet-key" not in result.stderr


def test_check_deploy_asks_for_a_resumption_handle_key_of_its_own():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "RESUMPTION_HANDLE_KEY"}
    result = run_python(env, "manage.py", "check", "--deploy")
    assert "conversations.W001" in result.stdout + result.stderr
    assert "RESUMPTION_HANDLE_KEY is not set" in result.stdout + result.stderr
