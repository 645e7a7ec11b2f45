"""Migration 0008 encrypts the handles already stored, and decrypts them back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from conversations.models import Conversation

BEFORE = ("conversations", "0007_run_events_and_transcript_access")
ENCRYPTED = ("conversations", "0008_encrypt_resumption_handles")
HANDLE = "CiQ2ZTNiLXJlc3VtcHRpb24taGFuZGxlLXNlY3JldA"


def migrate_to(target: tuple[str, str]):
    """Migrate conversations to `target`; returns the apps of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state([target]).apps


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("conversations"))


def raw_handle(pk: int) -> str:
    table = connection.ops.quote_name(Conversation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT resumption_handle FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


# Schema changes on SQLite cannot run inside the test's transaction.
@pytest.mark.django_db(transaction=True)
def test_migration_encrypts_existing_plaintext_handles(user):
    try:
        old = migrate_to(BEFORE).get_model("conversations", "Conversation")
        fields = {"owner_id": user.pk, "title": "Old", "model": "m"}
        with_handle = old.objects.create(**fields, resumption_handle=HANDLE)
        without = old.objects.create(**fields, resumption_handle="")
        assert raw_handle(with_handle.pk) == HANDLE

        new = migrate_to(ENCRYPTED).get_model("conversations", "Conversation")
        assert HANDLE not in raw_handle(with_handle.pk)
        assert raw_handle(without.pk) == ""
        assert new.objects.get(pk=with_handle.pk).resumption_handle == HANDLE

        migrate_to(BEFORE)
        assert raw_handle(with_handle.pk) == HANDLE
        assert raw_handle(without.pk) == ""
    finally:
        migrate_to_latest()
