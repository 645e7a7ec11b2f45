"""Whether a session is still signed in, and telling a user's sockets when not.

Sockets authenticate once, at the handshake. When a session ends (sign-out), a
password changes (every other session of the user stops being valid) or the
account goes, the user's conversation sockets on every worker are told, once the
change is committed, and those whose session no longer holds close.

A socket knows its session by a name given at sign-in and kept in the session:
unlike the session key, it survives the key's rotation when the password
changes, so the session that changed it keeps its sockets.
"""

from __future__ import annotations

import hashlib
import secrets
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.db import transaction
from django.utils.crypto import constant_time_compare

from conversations import fanout

# Channel-layer message types the conversation consumer handles.
SIGNED_OUT = "user.signed_out"
SESSIONS_CHANGED = "user.sessions_changed"
NAME_KEY = "continuum_session_name"


def name_session(session: Any) -> None:
    """Give a freshly signed-in session its name."""
    session[NAME_KEY] = secrets.token_urlsafe(16)


def session_name(session: Any) -> str:
    """How sockets and signals call a session: never by its key.

    Sessions signed in before names were given go by a digest of their key.
    """
    if session is None:
        return ""
    name = session.get(NAME_KEY)
    if name:
        return str(name)
    return hashlib.sha256((session.session_key or "").encode()).hexdigest()


def signed_in_user_id(session_key: str | None) -> int | None:
    """The user the session is signed in as now, or None.

    Django's own check (the backend still knows the user, and the session's
    password hash still matches), without its side effects: nothing is flushed
    or rotated here.
    """
    if not session_key:
        return None
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    try:
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except KeyError:
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = load_backend(backend_path).get_user(user_id)
    if user is None:
        return None
    session_hash = session.get(HASH_SESSION_KEY) or ""
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    if not any(constant_time_compare(session_hash, known) for known in hashes):
        return None
    return int(user.pk)


def end_session_sockets(*, user_id: int, session: Any) -> None:
    """Close the user's sockets of this session, once the sign-out is committed."""
    name = session_name(session)
    transaction.on_commit(
        lambda: fanout.tell_user_sockets(user_id, SIGNED_OUT, session=name)
    )


def end_all_sockets(*, user_id: int) -> None:
    """Close every socket of the user (the account is gone), once committed."""
    transaction.on_commit(lambda: fanout.tell_user_sockets(user_id, SIGNED_OUT))


def recheck_sockets(*, user_id: int, keep: Any = None) -> None:
    """Have the user's sockets check their session again, once committed.

    `keep`: the session that made the change and still holds (its key was
    rotated, so its sockets cannot check it by their key).
    """
    kept = session_name(keep) if keep is not None else None
    transaction.on_commit(
        lambda: fanout.tell_user_sockets(user_id, SESSIONS_CHANGED, keep=kept)
    )
