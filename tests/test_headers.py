"""Every page carries a strict Content-Security-Policy and a Permissions-Policy.

The policy forbids inline script and style, so every page, the admin's and
allauth's included, is also read for inline script, style and event handlers;
the browser tests then load them under the policy and fail on any violation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from http import HTTPStatus

import pytest
from django.test import Client

from conversations import services
from tests.conversations.admin_helpers import make_superuser
from tests.conversations.session_factory import every_ending
from tests.site_pages import ADMIN_PAGES, ANONYMOUS_PAGES, USER_PAGES

pytestmark = pytest.mark.django_db


class InlineCode(HTMLParser):
    """Collects what a strict policy would block: inline script, style, handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "style":
            self.found.append("<style>")
        data_block = (names.get("type") or "").endswith("json")
        if tag == "script" and not names.get("src") and not data_block:
            self.found.append("inline <script>")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")


@pytest.fixture
def superuser_client():
    admin = make_superuser()
    conversation = services.create_conversation(owner=admin, title="Runs", mode="text")
    every_ending(conversation, datetime(2026, 1, 5, 9, tzinfo=UTC))
    client = Client()
    client.force_login(admin)
    client.ids = {
        "id": conversation.public_id,
        "pk": conversation.pk,
        "user_pk": admin.pk,
    }
    return client


def pages(client: Client, paths: list[str]):
    for path in paths:
        url = path.format(**getattr(client, "ids", {}))
        response = client.get(url)
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.NOT_FOUND), url
        yield url, response


def all_pages(superuser_client):
    yield from pages(Client(), ANONYMOUS_PAGES)
    yield from pages(superuser_client, USER_PAGES + ADMIN_PAGES)


def test_every_page_has_a_self_only_content_security_policy(superuser_client):
    for url, response in all_pages(superuser_client):
        policy = dict(
            directive.strip().split(" ", 1)
            for directive in response["Content-Security-Policy"].split(";")
        )
        assert policy["default-src"] == "'self'", url
        assert policy["script-src"] == "'self'", url
        assert policy["style-src"] == "'self'", url
        assert policy["object-src"] == "'none'", url
        assert policy["frame-ancestors"] == "'none'", url


def test_every_page_allows_the_microphone_to_this_site_only(superuser_client):
    for url, response in all_pages(superuser_client):
        features = response["Permissions-Policy"].split(", ")
        assert "microphone=(self)" in features, url
        assert "camera=()" in features, url


def test_no_page_has_inline_script_style_or_event_handlers(superuser_client):
    found = {}
    for url, response in all_pages(superuser_client):
        parser = InlineCode()
        parser.feed(response.content.decode())
        if parser.found:
            found[url] = sorted(set(parser.found))
    assert found == {}
