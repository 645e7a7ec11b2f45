"""The page's side of the limits and of signing out, in a real browser.

A quiet conversation shows a calm "Paused" and carries on when typed to; a
conversation past the live limit offers to continue here; signing out in
another tab sends the page to the sign-in page.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import (
    assistant_reply,
    open_conversation,
    send_text,
    wait_until_live,
    watch_errors,
)

pytestmark = pytest.mark.browser


@pytest.mark.app_env(CONVERSATION_IDLE_PAUSE_S="2")
def test_a_quiet_conversation_is_paused_then_carries_on_when_typed_to(
    app_server, user_email, new_context, page_errors, screenshot
):
    public_id = app_server.create_conversation(user_email, "Quiet", mode="text")
    page = new_context(user_email).new_page()
    watch_errors(page, page_errors)
    open_conversation(page, public_id)
    wait_until_live(page)
    send_text(page, "Remember the number seven.")
    expect(assistant_reply(page, 1)).to_be_visible()

    status = page.locator("#status")
    expect(status).to_have_attribute("data-status", "paused")
    expect(status).to_contain_text("Paused")
    expect(status).to_contain_text("Type or talk to carry on.")
    expect(page.locator("#final")).to_be_hidden()
    expect(page.locator(".toast--error")).to_have_count(0)
    expect(page.get_by_label("Message")).to_be_enabled()
    screenshot(page, "paused")

    send_text(page, "What number was it?")
    reply = assistant_reply(page, 2)
    expect(reply).to_contain_text('You first said "Remember the number seven."')
    assert app_server.runs(public_id)[0]["end_reason"] == "idle"
    assert app_server.runs(public_id)[1]["began"] == "resumed_with_handle"


@pytest.mark.app_env(CONVERSATION_MAX_LIVE_PER_USER="1")
def test_past_the_live_limit_the_page_offers_to_continue_here(
    app_server, user_email, new_context, page_errors
):
    first = app_server.create_conversation(user_email, "First", mode="text")
    second = app_server.create_conversation(user_email, "Second", mode="text")
    browser = new_context(user_email)
    earlier = browser.new_page()
    watch_errors(earlier, page_errors)
    open_conversation(earlier, first)
    wait_until_live(earlier)

    page = browser.new_page()
    watch_errors(page, page_errors)
    open_conversation(page, second)
    banner = page.locator("#presence")
    expect(banner).to_contain_text("You have 1 conversation live at once")
    expect(page.get_by_label("Message")).to_be_disabled()

    page.get_by_role("button", name="Continue here").click()
    wait_until_live(page)
    expect(banner).to_be_hidden()
    expect(earlier.locator("#status")).to_have_attribute("data-status", "paused")
    send_text(page, "Hello from here.")
    expect(assistant_reply(page, 1)).to_be_visible()


def test_signing_out_in_another_tab_sends_the_page_to_sign_in(
    app_server, user_email, new_context, page_errors
):
    public_id = app_server.create_conversation(user_email, "Signed in", mode="text")
    browser = new_context(user_email)
    page = browser.new_page()
    watch_errors(page, page_errors)
    open_conversation(page, public_id)
    wait_until_live(page)

    other_tab = browser.new_page()
    other_tab.goto("/")
    other_tab.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(
        re.compile(rf"/accounts/login/\?next=/conversations/{public_id}/$")
    )
    expect(page.get_by_label("Email")).to_be_visible()
    assert app_server.runs(public_id)[-1]["end_reason"] == "browser_left"
