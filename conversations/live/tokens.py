"""Credentials for one upstream connection attempt.

In `ephemeral` mode every attempt mints a fresh single-use token (`POST
/v1alpha/auth_tokens`) whose setup is locked to exactly the setup the attempt sends,
and connects to the Constrained endpoint with it; the API key itself never travels on
the WebSocket. In `key` mode the key goes in the `x-goog-api-key` header.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from .config import LiveConfig

_SERVICE = "google.ai.generativelanguage.{version}.GenerativeService.{method}"


class TokenError(Exception):
    """Minting a token failed; `retryable` says whether another attempt may succeed."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Credential:
    """Where to open the WebSocket and which headers carry the secret."""

    url: str
    headers: dict[str, str] = field(repr=False)
    fingerprint: str  # safe to log

    def __repr__(self) -> str:
        return f"Credential(url={self.url!r}, fingerprint={self.fingerprint!r})"


def fingerprint(secret: str) -> str:
    """Return a short, non-reversible tag for a secret, fit for logs."""
    return hashlib.sha256(secret.encode()).hexdigest()[:8]


def websocket_url(api_base: str, *, version: str, method: str) -> str:
    """Turn an http(s) base URL into the Live WebSocket URL for `method`."""
    base = api_base.rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base.removeprefix("https://")
    elif base.startswith("http://"):
        base = "ws://" + base.removeprefix("http://")
    else:
        raise ValueError("api_base must start with http:// or https://")
    return f"{base}/ws/{_SERVICE.format(version=version, method=method)}"


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def mint_token(
    http: httpx.AsyncClient,
    config: LiveConfig,
    setup: dict[str, Any],
    *,
    now: datetime | None = None,
) -> str:
    """Mint a single-use ephemeral token locked to `setup` (the inner setup object).

    Raises `TokenError`: retryable for network errors, 5xx, 429 and answers that are
    not a token; fatal for other 4xx (a bad key stays bad).
    """
    now = now or datetime.now(UTC)
    body = {
        "uses": 1,
        "expireTime": _rfc3339(now + timedelta(seconds=config.token_expire_ttl_s)),
        "newSessionExpireTime": _rfc3339(
            now + timedelta(seconds=config.token_new_session_ttl_s)
        ),
        "bidiGenerateContentSetup": setup,
    }
    url = config.api_base.rstrip("/") + "/v1alpha/auth_tokens"
    try:
        response = await http.post(
            url,
            json=body,
            headers={"x-goog-api-key": config.api_key},
            timeout=config.token_timeout_s,
        )
    except httpx.HTTPError as exc:
        raise TokenError(
            f"token endpoint unreachable: {type(exc).__name__}", retryable=True
        ) from None
    if response.status_code >= 500 or response.status_code == 429:
        raise TokenError(
            f"token endpoint answered HTTP {response.status_code}", retryable=True
        )
    if response.status_code >= 400:
        raise TokenError(
            f"token endpoint refused the request: HTTP {response.status_code}",
            retryable=False,
        )
    try:
        name = response.json().get("name")
    except (ValueError, AttributeError):
        name = None
    if not isinstance(name, str) or not name.startswith("auth_tokens/"):
        raise TokenError("token endpoint answered without a token", retryable=True)
    return name


async def obtain_credential(
    http: httpx.AsyncClient, config: LiveConfig, setup: dict[str, Any]
) -> Credential:
    """Return a credential for one connection attempt; never reuse it for another."""
    if config.auth_mode == "key":
        return Credential(
            url=websocket_url(
                config.api_base,
                version=config.api_version,
                method="BidiGenerateContent",
            ),
            headers={"x-goog-api-key": config.api_key},
            fingerprint=fingerprint(config.api_key),
        )
    token = await mint_token(http, config, setup)
    return Credential(
        url=websocket_url(
            config.api_base,
            version="v1alpha",
            method="BidiGenerateContentConstrained",
        ),
        headers={"Authorization": f"Token {token}"},
        fingerprint=fingerprint(token),
    )
