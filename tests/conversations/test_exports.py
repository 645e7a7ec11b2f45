"""Exports give the whole history as Markdown or JSON, and no secrets."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from django.urls import reverse

from conversations import services

from .factories import make_conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(user):
    conversation = services.create_conversation(
        owner=user, title="Café plans", mode="voice", system_instruction="Be brief."
    )
    run = services.start_run(conversation=conversation, began="new")
    services.record_transcript_item(
        conversation=conversation,
        role="user",
        modality="audio",
        content="Where shall we meet?",
        run=run,
    )
    services.record_transcript_item(
        conversation=conversation,
        role="assistant",
        modality="audio",
        content="At the corner café.",
        run=run,
        interrupted=True,
    )
    services.store_resumption_handle(
        conversation=conversation,
        handle="never-export-this-handle",
        issued_at=conversation.created_at,
    )
    return conversation


def export(client, conversation, name):
    return client.get(
        reverse(name, kwargs={"public_id": conversation.public_id}),
    )


def test_markdown_export(client, user, conversation):
    client.force_login(user)
    response = export(
        client, conversation, "conversations:conversation_export_markdown"
    )
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/markdown")
    assert response["Content-Disposition"] == 'attachment; filename="cafe-plans.md"'
    assert body.startswith("# Café plans\n")
    assert "Be brief." in body
    assert body.index("Where shall we meet?") < body.index("At the corner café.")
    assert "### 2. Assistant (interrupted)" in body
    assert "never-export-this-handle" not in body


def test_json_export(client, user, conversation):
    client.force_login(user)
    response = export(client, conversation, "conversations:conversation_export_json")
    data = json.loads(response.content)
    assert response["Content-Type"].startswith("application/json")
    assert data["conversation"]["id"] == str(conversation.public_id)
    assert data["conversation"]["title"] == "Café plans"
    assert [
        (item["seq"], item["role"], item["content"], item["run_id"])
        for item in data["items"]
    ] == [
        (1, "user", "Where shall we meet?", 0),
        (2, "assistant", "At the corner café.", 0),
    ]
    assert data["items"][1]["interrupted"] is True
    assert "never-export-this-handle" not in response.content.decode()


def test_markdown_export_of_empty_conversation(client, user):
    conversation = make_conversation(user, title="Empty")
    client.force_login(user)
    response = export(
        client, conversation, "conversations:conversation_export_markdown"
    )
    assert "_No messages yet._" in response.content.decode()
