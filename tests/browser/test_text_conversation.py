"""Signing up, then a typed conversation in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conversations.browser_protocol import MAX_TURN_CHARS
from tests.conftest import PASSWORD

from .helpers import (
    assistant_reply,
    open_conversation,
    send_text,
    shown_seqs,
    wait_until_live,
    watch_errors,
)

pytestmark = pytest.mark.browser


def test_sign_up_sign_in_and_talk_by_text(new_context, page_errors, screenshot):
    page = new_context().new_page()
    watch_errors(page, page_errors)
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.get_by_role("link", name="New", exact=True).click()
    page.get_by_label("Title").fill("Planning the trip")
    page.get_by_label("Text").check()
    page.get_by_role("button", name="Start conversation").click()
    wait_until_live(page)

    send_text(page, "Where should we go first?")
    expect(page.locator("#transcript li.item--user")).to_have_text(
        re.compile("Where should we go first\\?")
    )
    expect(assistant_reply(page, 1)).to_contain_text('You said "Where should we go')
    send_text(page, "And after that?")
    expect(assistant_reply(page, 2)).to_be_visible()
    expect(page.locator(".item--pending")).to_have_count(0)
    assert shown_seqs(page) == [1, 2, 3, 4]
    screenshot(page, "text-conversation")


def test_the_page_holds_typed_turns_to_the_servers_limit(
    app_server, user_email, new_context, page_errors
):
    public_id = app_server.create_conversation(user_email, "Long", mode="text")
    page = new_context(user_email).new_page()
    watch_errors(page, page_errors)
    open_conversation(page, public_id)
    wait_until_live(page)
    message = page.get_by_label("Message")
    expect(message).to_have_attribute("maxlength", str(MAX_TURN_CHARS))

    # Pasted or scripted text is not held back by maxlength: the page says no.
    message.evaluate("(box, text) => { box.value = text; }", "a" * (MAX_TURN_CHARS + 1))
    message.press("Enter")
    expect(page.locator(".toast--error")).to_contain_text(
        f"A message has at most {MAX_TURN_CHARS} characters."
    )
    expect(page.locator(".item--pending")).to_have_count(0)
    assert page.evaluate("window.continuum.pendingTurns") == []

    # Surrounding spaces do not count; the longest turn there is goes through.
    longest = "b" * MAX_TURN_CHARS
    message.evaluate("(box, text) => { box.value = text; }", f"  {longest}  ")
    message.press("Enter")
    # Stored, so the server took it.
    expect(page.locator("#transcript li.item--user")).to_contain_text(longest)
    expect(page.locator(".item--pending")).to_have_count(0)
