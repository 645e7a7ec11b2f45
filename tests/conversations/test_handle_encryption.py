"""Resumption handles are encrypted at rest and read back as plain strings."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.db import connection

from conversations import services
from conversations.fields import check_encryption_keys, derive_key
from conversations.models import Conversation

from .factories import make_conversation

pytestmark = pytest.mark.django_db

HANDLE = "CiQ2ZTNiLXJlc3VtcHRpb24taGFuZGxlLXNlY3JldA"
ISSUED = datetime(2026, 1, 1, tzinfo=UTC)


def raw_handle(pk: int) -> str:
    """The column as stored, bypassing the model."""
    table = connection.ops.quote_name(Conversation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT resumption_handle FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def store(conversation: Conversation, handle: str = HANDLE) -> None:
    services.store_resumption_handle(
        conversation=conversation, handle=handle, issued_at=ISSUED
    )


def test_the_stored_column_does_not_contain_the_handle(user):
    conversation = make_conversation(user)
    store(conversation)
    raw = raw_handle(conversation.pk)
    assert raw
    assert HANDLE not in raw
    assert HANDLE[:8] not in raw
    assert Conversation.objects.get(pk=conversation.pk).resumption_handle == HANDLE


def test_services_round_trip_the_handle(user):
    conversation = make_conversation(user)
    store(conversation)
    plan = services.begin_resume(conversation_id=conversation.pk)
    assert plan.handle == HANDLE
    assert list(
        Conversation.objects.filter(pk=conversation.pk).values_list(
            "resumption_handle", flat=True
        )
    ) == [HANDLE]
    services.clear_resumption_handle(conversation=conversation)
    assert raw_handle(conversation.pk) == ""
    assert services.begin_resume(conversation_id=conversation.pk).handle is None


def test_a_new_live_session_clears_the_stored_handle(user):
    conversation = make_conversation(user)
    store(conversation)
    services.start_run(conversation=conversation, began="new")
    assert raw_handle(conversation.pk) == ""


def test_saving_the_model_encrypts_too(user):
    conversation = make_conversation(user)
    conversation.resumption_handle = HANDLE
    conversation.save()
    assert HANDLE not in raw_handle(conversation.pk)
    conversation.refresh_from_db()
    assert conversation.resumption_handle == HANDLE


def test_equal_handles_are_stored_differently(user):
    first, second = make_conversation(user), make_conversation(user, title="Other")
    store(first)
    store(second)
    assert raw_handle(first.pk) != raw_handle(second.pk)


def test_the_configured_key_encrypts(user, settings):
    key = Fernet.generate_key()
    settings.RESUMPTION_HANDLE_KEY = key.decode()
    conversation = make_conversation(user)
    store(conversation)
    assert Fernet(key).decrypt(raw_handle(conversation.pk).encode()).decode() == HANDLE


def test_without_a_key_one_derived_from_the_secret_key_encrypts(user, settings):
    settings.RESUMPTION_HANDLE_KEY = ""
    conversation = make_conversation(user)
    store(conversation)
    derived = Fernet(derive_key(settings.SECRET_KEY, "RESUMPTION_HANDLE_KEY"))
    assert derived.decrypt(raw_handle(conversation.pk).encode()).decode() == HANDLE
    assert derive_key(settings.SECRET_KEY, "other") != derive_key(
        settings.SECRET_KEY, "RESUMPTION_HANDLE_KEY"
    )


def test_a_handle_under_another_key_reads_as_none(user, settings, caplog):
    conversation = make_conversation(user)
    store(conversation)
    raw = raw_handle(conversation.pk)
    settings.RESUMPTION_HANDLE_KEY = Fernet.generate_key().decode()
    with caplog.at_level(logging.WARNING, logger="conversations.fields"):
        assert Conversation.objects.get(pk=conversation.pk).resumption_handle == ""
        plan = services.begin_resume(conversation_id=conversation.pk)
    assert plan.handle is None
    assert plan.handle_issued_at is None
    assert "could not be decrypted" in caplog.text
    assert HANDLE not in caplog.text
    assert raw not in caplog.text


def test_a_plaintext_value_left_in_the_column_reads_as_none(user):
    conversation = make_conversation(user)
    table = connection.ops.quote_name(Conversation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET resumption_handle = %s WHERE id = %s",
            [HANDLE, conversation.pk],
        )
    assert Conversation.objects.get(pk=conversation.pk).resumption_handle == ""


@pytest.mark.parametrize(
    "lookup",
    [
        {"resumption_handle": HANDLE},
        {"resumption_handle__startswith": HANDLE[:4]},
        {"resumption_handle__contains": HANDLE[4:8]},
        {"resumption_handle__icontains": HANDLE[4:8]},
        {"resumption_handle__gt": "A"},
        {"resumption_handle__in": [HANDLE]},
        {"resumption_handle__lower": HANDLE},
    ],
)
def test_the_handle_cannot_be_filtered_on(user, lookup):
    store(make_conversation(user))
    with pytest.raises(FieldError):
        list(Conversation.objects.filter(**lookup))


def test_whether_there_is_a_handle_can_be_asked(user):
    with_handle, without = make_conversation(user), make_conversation(user, title="B")
    store(with_handle)
    assert list(Conversation.objects.filter(resumption_handle="")) == [without]
    assert list(Conversation.objects.exclude(resumption_handle="")) == [with_handle]


def test_check_deploy_flags_a_key_derived_from_the_secret_key(settings):
    settings.RESUMPTION_HANDLE_KEY = ""
    assert [warning.id for warning in check_encryption_keys()] == ["conversations.W001"]
    settings.RESUMPTION_HANDLE_KEY = Fernet.generate_key().decode()
    assert check_encryption_keys() == []
