"""Signing up, then a typed conversation in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

from .helpers import (
    assistant_reply,
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
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
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
