"""A long history opens with the same number of queries as a short one."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .factories import bulk_items, make_conversation

pytestmark = pytest.mark.django_db


def count_detail_queries(client, conversation, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(conversation.get_absolute_url(), params)
    assert response.status_code == 200
    return len(queries)


def test_detail_query_count_is_the_same_for_10_and_10000_items(client, user):
    short = make_conversation(user, title="Short")
    long = make_conversation(user, title="Long")
    bulk_items(short, 10)
    bulk_items(long, 10_000)
    client.force_login(user)
    count_detail_queries(client, short)  # warm the session and caches
    assert count_detail_queries(client, short) == count_detail_queries(client, long)


def test_earlier_page_query_count_does_not_grow_with_history(client, user):
    short = make_conversation(user, title="Short")
    long = make_conversation(user, title="Long")
    bulk_items(short, 100)
    bulk_items(long, 10_000)
    client.force_login(user)
    count_detail_queries(client, short, before=60)
    assert count_detail_queries(client, short, before=60) == count_detail_queries(
        client, long, before=5_000
    )


def test_list_query_count_does_not_grow_with_conversations(client, user):
    client.force_login(user)
    make_conversation(user)
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    for n in range(20):
        make_conversation(user, title=f"Conversation {n}")
    with CaptureQueriesContext(connection) as many:
        client.get("/")
    assert len(many) == len(few)
