"""The console's filter writes no key, token or handle, whatever logs them."""

from __future__ import annotations

import json
import logging

import pytest

from config.log_redaction import REDACTED, RedactSecrets
from tests.fresh_interpreter import PRODUCTION_ENV, run_python

KEY = "AIzaSyExample-key-0123456789"
TOKEN = "auth_tokens/lc73HjNGVEVp4uqSfR-_6hs5MVB8ibUIcnzy5jWONVE"
HANDLE = "CgRqhRfPq0a1b2c3d4e5f6g7h8i9j0kLmNoP"


def logged(msg: str, *args, exc_info=None) -> str:
    record = logging.LogRecord("t", logging.DEBUG, __file__, 1, msg, args, exc_info)
    RedactSecrets(secrets=[KEY]).filter(record)
    return logging.Formatter().format(record)


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("> x-goog-api-key: %s", KEY),
        ("> Authorization: Token %s", TOKEN),
        ("headers={'Authorization': 'Token %s'}", TOKEN),
        ("GET /ws?key=%s HTTP/1.1", KEY),
        ("minted %s", TOKEN),
        ('< TEXT \'{"sessionResumptionUpdate":{"newHandle":"%s"', HANDLE),
        ('> TEXT \'{"setup":{"sessionResumption":{"handle":"%s"}}}\'', HANDLE),
        ("resume with {'new_handle': '%s'}", HANDLE),
    ],
)
def test_a_secret_in_a_message_is_redacted(line, secret):
    text = logged(line, secret)
    assert secret not in text
    assert REDACTED in text


def test_the_configured_key_is_redacted_wherever_it_appears():
    assert KEY not in logged("the key is %s, plainly", KEY)


def test_a_cut_short_handle_is_redacted():
    text = logged('< BINARY \'{"sessionResumptionUpdate":{"newHandle":"CgRqhR...XAI')
    assert "CgRqhR" not in text


def test_a_secret_in_an_exception_is_redacted():
    try:
        raise ValueError(f"refused {TOKEN}")
    except ValueError as error:
        text = logged("connect failed", exc_info=(type(error), error, None))
    assert TOKEN not in text
    assert "ValueError" in text


def test_a_record_that_cannot_be_formatted_is_still_redacted():
    assert KEY not in logged("two %s %s but one argument", KEY)


def test_a_message_without_secrets_is_unchanged():
    assert logged("opening Live connection (credential %s)", "1a2b3c4d").endswith(
        "opening Live connection (credential 1a2b3c4d)"
    )


READ_LOGGING = """
import json, logging, django
django.setup()
print(json.dumps({
    "root": logging.getLogger().getEffectiveLevel(),
    "websockets": logging.getLogger("websockets.client").getEffectiveLevel(),
    "filtered": [
        type(f).__name__ for h in logging.getLogger().handlers for f in h.filters
    ],
}))
"""


def test_at_debug_the_websockets_client_still_logs_nothing_below_info():
    result = run_python(
        {**PRODUCTION_ENV, "DJANGO_LOG_LEVEL": "DEBUG"}, "-c", READ_LOGGING
    )
    assert result.returncode == 0, result.stderr
    levels = json.loads(result.stdout)
    assert levels["root"] == logging.DEBUG
    assert levels["websockets"] == logging.INFO
    assert levels["filtered"] == ["RedactSecrets"]
