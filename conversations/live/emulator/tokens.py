"""Ephemeral tokens: minting (``POST /v1alpha/auth_tokens``) and setup locking."""

from __future__ import annotations

import copy
import datetime as dt
import secrets
import time
from typing import Any

from .state import AuthToken, TokenLedger
from .wire import ANY, LEAF, LIVE_MODELS, SETUP, WireError, normalize, snake_case

MAX_AHEAD_S = 20 * 3600  # both expiries must be < 20 h ahead (§1.3)
DEFAULT_EXPIRE_S = 30 * 60
DEFAULT_NEW_SESSION_S = 60
TOKEN_FIELDS = {
    "uses",
    "expire_time",
    "new_session_expire_time",
    "bidi_generate_content_setup",
    "field_mask",
    "name",
}


class MintError(Exception):
    """A refused mint, with its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_timestamp(value: Any, field: str) -> float:
    """Parse an RFC 3339 timestamp with a zone (``Z`` or an offset) to epoch seconds."""
    if not isinstance(value, str):
        raise MintError(
            400, f"Invalid value at '{field}': expected an RFC 3339 string."
        )
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as error:
        raise MintError(400, f"Invalid value at '{field}' ({value!r}).") from error
    if parsed.tzinfo is None:
        raise MintError(400, f"Invalid value at '{field}': a time zone is required.")
    return parsed.timestamp()


def format_timestamp(epoch: float) -> str:
    moment = dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check_field_path(path: str) -> list[str]:
    segments = [snake_case(segment.strip()) for segment in path.split(".")]
    schema: Any = SETUP
    for segment in segments:
        if not isinstance(schema, dict) or segment not in schema:
            raise MintError(400, f"Invalid fieldMask path '{path}'.")
        schema = schema[segment]
        if isinstance(schema, list) or schema in (LEAF, ANY):
            schema = None
    return segments


def issue_token(body: Any, ledger: TokenLedger) -> AuthToken:
    """Validate a mint request body and store the new token."""
    if not isinstance(body, dict):
        raise MintError(400, "Invalid JSON payload received. Expected an object.")
    fields = {snake_case(key): value for key, value in body.items()}
    for key in body:
        if snake_case(key) not in TOKEN_FIELDS:
            raise MintError(
                400,
                "Invalid JSON payload received. "
                f'Unknown name "{key}": Cannot find field.',
            )
    now = time.time()
    uses = fields.get("uses", 1)
    if isinstance(uses, str) and uses.isdigit():
        uses = int(uses)
    if not isinstance(uses, int) or isinstance(uses, bool) or uses < 0:
        raise MintError(
            400, "Invalid value at 'uses': expected a non-negative integer."
        )
    expire = now + DEFAULT_EXPIRE_S
    if "expire_time" in fields:
        expire = parse_timestamp(fields["expire_time"], "expire_time")
    new_session = min(now + DEFAULT_NEW_SESSION_S, expire)
    if "new_session_expire_time" in fields:
        new_session = parse_timestamp(
            fields["new_session_expire_time"], "new_session_expire_time"
        )
    for name, moment in (
        ("expire_time", expire),
        ("new_session_expire_time", new_session),
    ):
        if moment <= now:
            raise MintError(400, f"'{name}' must be in the future.")
        if moment - now >= MAX_AHEAD_S:
            raise MintError(400, f"'{name}' must be less than 20 hours ahead.")
    setup = None
    if fields.get("bidi_generate_content_setup") is not None:
        try:
            setup = normalize(
                fields["bidi_generate_content_setup"],
                SETUP,
                "bidi_generate_content_setup",
            )
        except WireError as error:
            raise MintError(400, error.reason) from error
        model = setup.get("model")
        if model is not None and str(model).removeprefix("models/") not in LIVE_MODELS:
            raise MintError(400, f"Model '{model}' is not a Live model.")
    mask = None
    if fields.get("field_mask") is not None:
        if not isinstance(fields["field_mask"], str):
            raise MintError(400, "Invalid value at 'field_mask': expected a string.")
        mask = [
            ".".join(_check_field_path(path))
            for path in fields["field_mask"].split(",")
            if path.strip()
        ]
    token = AuthToken(
        name="auth_tokens/" + secrets.token_urlsafe(32),
        uses=uses,
        expire_time=expire,
        new_session_expire_time=new_session,
        setup=setup,
        field_mask=mask,
    )
    ledger.tokens[token.name] = token
    ledger.minted += 1
    return token


def token_resource(token: AuthToken) -> dict[str, Any]:
    return {
        "name": token.name,
        "expireTime": format_timestamp(token.expire_time),
        "newSessionExpireTime": format_timestamp(token.new_session_expire_time),
        "uses": token.uses,
    }


def apply_constraints(setup: dict[str, Any], token: AuthToken) -> dict[str, Any]:
    """The setup a token allows: locked fields take the token's values.

    The resumption handle belongs to the connection, not the configuration, so the
    client's handle survives locking unless the token names a handle itself.
    """
    if token.setup is None:
        return setup
    handle = (setup.get("session_resumption") or {}).get("handle")
    if token.field_mask is None:
        effective = copy.deepcopy(token.setup)
    else:
        effective = copy.deepcopy(setup)
        for path in token.field_mask:
            _copy_path(token.setup, effective, path.split("."))
    if handle and not (effective.get("session_resumption") or {}).get("handle"):
        effective.setdefault("session_resumption", {})
        effective["session_resumption"] = {
            **effective["session_resumption"],
            "handle": handle,
        }
    return effective


def _copy_path(source: dict[str, Any], target: dict[str, Any], path: list[str]) -> None:
    head, rest = path[0], path[1:]
    if not rest:
        if head in source:
            target[head] = copy.deepcopy(source[head])
        else:
            target.pop(head, None)
        return
    inner_source = source.get(head)
    if not isinstance(inner_source, dict):
        inner_source = {}
    inner_target = target.get(head)
    if not isinstance(inner_target, dict):
        inner_target = {}
        target[head] = inner_target
    _copy_path(inner_source, inner_target, rest)
