"""The conversation lease: one upstream Live session per conversation, across workers.

The socket that owns a conversation's upstream holds a lease in the database and
renews it while it lives. A worker killed with its sockets stops renewing, so its
lease lapses within ``ttl`` and another device can take the conversation over.
Each write is one conditional UPDATE, atomic on SQLite and PostgreSQL alike; a
worker renews all of its sockets' leases with one statement (`renew_leases`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from .models import Conversation

# Holders renewed per statement: well inside every database's parameter limit.
RENEW_BATCH = 500


def acquire_lease(*, conversation_id: int, holder: str, ttl_s: float) -> bool:
    """Take the lease if it is free, lapsed, or already ours; renew it if ours."""
    now = timezone.now()
    taken = (
        Conversation.objects.filter(pk=conversation_id)
        .filter(
            Q(lease_holder="")
            | Q(lease_holder=holder)
            | Q(lease_expires_at__isnull=True)
            | Q(lease_expires_at__lt=now)
        )
        .update(lease_holder=holder, lease_expires_at=now + timedelta(seconds=ttl_s))
    )
    return taken == 1


def renew_leases(*, holders: Collection[str], ttl_s: float) -> set[str]:
    """Extend every lease these holders still hold; return the holders that do.

    Holders are socket channel names, unique to one socket, so a holder that is
    not returned lost its lease (it lapsed and another socket took it).
    """
    held = list(holders)
    if not held:
        return set()
    expires_at = timezone.now() + timedelta(seconds=ttl_s)
    kept: set[str] = set()
    for start in range(0, len(held), RENEW_BATCH):
        batch = held[start : start + RENEW_BATCH]
        renewed = Conversation.objects.filter(lease_holder__in=batch).update(
            lease_expires_at=expires_at
        )
        if renewed == len(batch):
            kept.update(batch)
        else:
            kept.update(
                Conversation.objects.filter(lease_holder__in=batch).values_list(
                    "lease_holder", flat=True
                )
            )
    return kept


def release_lease(*, conversation_id: int, holder: str) -> None:
    """Give the lease up, if it is still ours."""
    Conversation.objects.filter(pk=conversation_id, lease_holder=holder).update(
        lease_holder="", lease_expires_at=None
    )


def current_lease_holder(*, conversation_id: int) -> str:
    """The live holder's channel name, or "" when the lease is free or lapsed."""
    row = (
        Conversation.objects.filter(pk=conversation_id)
        .values("lease_holder", "lease_expires_at")
        .first()
    )
    if not row or not row["lease_holder"] or row["lease_expires_at"] is None:
        return ""
    if row["lease_expires_at"] < timezone.now():
        return ""
    return row["lease_holder"]


def lease_expires_in(*, conversation_id: int) -> float:
    """Seconds until the current lease lapses by itself (0 when it is free)."""
    expires_at = (
        Conversation.objects.filter(pk=conversation_id)
        .values_list("lease_expires_at", flat=True)
        .first()
    )
    if expires_at is None:
        return 0.0
    return max(0.0, (expires_at - timezone.now()).total_seconds())
