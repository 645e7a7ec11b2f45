"""Keep the Live API key, ephemeral tokens and resumption handles out of every log.

The app itself logs only fingerprints of them; this filter is the net under
libraries that log what they send (the websockets client dumps its request
headers and frames at DEBUG) and under exceptions that quote a request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

REDACTED = "[redacted]"

_PATTERNS = [
    # Header lines and dict reprs: x-goog-api-key: …, 'Authorization': 'Token …'
    re.compile(
        r"""(?P<keep>(?:x-goog-api-key|authorization)['"]?\s*[:=]\s*['"]?"""
        r"""(?:(?:token|bearer)\s+)?)[^\s'",}]+""",
        re.IGNORECASE,
    ),
    # Ephemeral tokens, wherever they appear.
    re.compile(r"(?P<keep>auth_tokens/)[A-Za-z0-9_\-.~%]+"),
    # A key or token in a query string.
    re.compile(r"(?P<keep>[?&](?:key|access_token)=)[^&\s'\"]+", re.IGNORECASE),
    # Resumption handles in Live's JSON, camelCase or snake_case, even cut short.
    re.compile(
        r"""(?P<keep>["']?(?:new_?handle|handle)["']?\s*:\s*["'])[^"']*""",
        re.IGNORECASE,
    ),
]


class RedactSecrets(logging.Filter):
    """Rewrite a record so that no known secret, or secret-shaped value, is written."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({secret for secret in secrets if secret}, key=len)[::-1]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(rf"\g<keep>{REDACTED}", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            # The handler would report the raw message and arguments instead.
            message = f"{record.msg} {record.args!r}"
            record.msg, record.args = self.redact(message), None
        else:
            redacted = self.redact(message)
            if redacted != message:
                record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True
