"""Sign-outs, password changes and deleted accounts reach open sockets."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset, password_set
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.http import HttpRequest

from . import sessions


@receiver(user_logged_in)
def name_the_session(sender: Any, request: HttpRequest, **kwargs: Any) -> None:
    sessions.name_session(request.session)


@receiver(user_logged_out)
def close_sockets_of_ended_session(
    sender: Any, request: HttpRequest, user: Any, **kwargs: Any
) -> None:
    # Sent before the session is flushed: its sockets are named, not rechecked.
    if user is not None and user.pk is not None:
        sessions.end_session_sockets(user_id=user.pk, session=request.session)


@receiver(password_changed)
@receiver(password_set)
def close_sockets_of_other_sessions(
    sender: Any, request: HttpRequest, user: Any, **kwargs: Any
) -> None:
    # Sent once the changing session holds the new hash (under a new key).
    keep = request.session if request.user.is_authenticated else None
    sessions.recheck_sockets(user_id=user.pk, keep=keep)


@receiver(password_reset)
def close_sockets_of_stale_sessions(sender: Any, user: Any, **kwargs: Any) -> None:
    sessions.recheck_sockets(user_id=user.pk)


@receiver(post_delete, sender=get_user_model())
def close_sockets_of_deleted_account(sender: Any, instance: Any, **kwargs: Any) -> None:
    sessions.end_all_sockets(user_id=instance.pk)
