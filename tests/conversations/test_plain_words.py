"""The words on the user's conversation pages: reconnections, exports, delete."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from conversations import services

from .factories import make_conversation

pytestmark = pytest.mark.django_db


def list_text(client) -> str:
    html = client.get(reverse("conversations:conversation_list")).content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def conversation(user):
    return make_conversation(user, title="Lisbon trip")


def test_the_list_never_says_runs(client, user, conversation):
    for began in ("new", "resumed_with_handle", "resumed_with_handle"):
        services.start_run(conversation=conversation, began=began)
    client.force_login(user)
    assert not re.search(r"\bruns?\b", list_text(client))


def test_the_list_counts_reconnections_after_the_first_connection(
    client, user, conversation
):
    for began in ("new", "resumed_with_handle", "restored_from_transcript"):
        services.start_run(conversation=conversation, began=began)
    client.force_login(user)
    assert "2 reconnections" in list_text(client)


def test_one_reconnection_is_singular(client, user, conversation):
    for began in ("new", "resumed_with_handle"):
        services.start_run(conversation=conversation, began=began)
    client.force_login(user)
    assert "1 reconnection " in list_text(client)


@pytest.mark.parametrize("runs", [0, 1])
def test_no_reconnection_says_nothing_about_them(client, user, conversation, runs):
    for _ in range(runs):
        services.start_run(conversation=conversation, began="new")
    client.force_login(user)
    assert "reconnection" not in list_text(client)


def test_a_conversation_just_touched_was_active_just_now(client, user, conversation):
    client.force_login(user)
    assert "Last activity just now" in list_text(client)


def test_the_exports_are_grouped_apart_from_delete(client, user, conversation):
    client.force_login(user)
    html = client.get(conversation.get_absolute_url()).content.decode()
    export = r'<ul class="action-group" aria-label="Export">(.*?)</ul>'
    group = re.search(export, html, re.S)
    assert group is not None
    links = re.findall(r">([^<]+)</a>", group.group(1))
    assert links == ["Export as Markdown", "Export as JSON"]
    assert "Delete" not in group.group(1)
    assert "Delete" in html[group.end() :]


def test_the_delete_page_offers_the_exports(client, user, conversation):
    client.force_login(user)
    url = reverse("conversations:conversation_delete", args=[conversation.public_id])
    html = client.get(url).content.decode()
    assert "Export as Markdown" in html
    assert "Export as JSON" in html
