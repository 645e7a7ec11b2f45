"""The admin's session inspector and operations page, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.conversations.session_factory import EVERY_ENDING as ENDINGS

from .helpers import watch_errors

pytestmark = pytest.mark.browser

SUPPORT = "support@example.com"
ADMIN_VIEWPORT = {"width": 1440, "height": 1250}


@pytest.fixture
def story(app_server) -> int:
    """A staff account, a conversation with runs of every ending, a day of others."""
    return app_server.run_python_json(
        "import json\n"
        "from datetime import timedelta\n"
        "from django.contrib.auth import get_user_model\n"
        "from django.utils import timezone\n"
        "from conversations import services\n"
        "from tests.conversations.session_factory import busy_day, every_ending\n"
        "User = get_user_model()\n"
        f"User.objects.create_superuser(username={SUPPORT!r}, email={SUPPORT!r}, "
        f"password={PASSWORD!r})\n"
        "owner = User.objects.create_user(username='ada@example.com', "
        f"email='ada@example.com', password={PASSWORD!r})\n"
        "now = timezone.now()\n"
        "busy_day(owner, now)\n"
        "conversation = services.create_conversation(owner=owner, "
        "title='Planning the Lisbon trip', mode='voice')\n"
        "every_ending(conversation, now - timedelta(seconds=800))\n"
        "print(json.dumps(conversation.pk))\n"
    )


def admin_page(new_context, page_errors) -> Page:
    page = new_context(SUPPORT).new_page()
    watch_errors(page, page_errors)
    page.set_viewport_size(ADMIN_VIEWPORT)
    return page


def hide_nav_sidebar(page: Page) -> None:
    toggle = page.locator("#toggle-nav-sidebar")
    if toggle.is_visible() and page.locator("#nav-sidebar").is_visible():
        toggle.click()
    page.evaluate("window.scrollTo(0, 0)")


def test_conversation_page_shows_the_timeline_runs_and_verdict(
    app_server, story, new_context, page_errors, screenshot
):
    page = admin_page(new_context, page_errors)
    page.goto(f"/admin/conversations/conversation/{story}/change/")
    hide_nav_sidebar(page)

    timeline = page.locator("svg.timeline")
    expect(timeline).to_be_visible()
    lanes = timeline.locator("g.lane")
    expect(lanes).to_have_count(10)
    assert lanes.evaluate_all("gs => gs.map(g => g.dataset.ending)") == ENDINGS
    box = timeline.bounding_box()
    assert box is not None
    assert box["width"] > 900  # drawn at full size, not squeezed
    expect(timeline.locator("text.gap-label").first).to_be_visible()

    rows = page.locator("#runs tr.run-row")
    expect(rows).to_have_count(10)
    expect(rows.nth(2)).to_contain_text("1011 internal error")
    expect(rows.nth(7)).to_contain_text("Network drop, then gave up")
    verdict = page.locator("#continuity")
    expect(verdict).to_contain_text("Gave up once")
    expect(verdict).to_contain_text("Restores from the transcript: 3")
    screenshot(page, "admin-inspector")

    # A click on a lane opens that run's events.
    details = page.locator("details#run-2")
    expect(details).not_to_have_attribute("open", re.compile(".*"))
    lanes.nth(2).locator("rect.run-bar").click()
    expect(details).to_have_attribute("open", re.compile(".*"))
    expect(details.locator("li[data-kind='attempt_failed']")).to_be_visible()


def test_operations_page_charts_the_last_day(
    app_server, story, new_context, page_errors, screenshot
):
    page = admin_page(new_context, page_errors)
    page.goto("/admin/conversations/conversation/")
    page.get_by_role("link", name="Operations").click()
    hide_nav_sidebar(page)
    expect(page.locator("h1")).to_have_text("Operations")
    for chart in ("reconnects", "close-codes", "restores", "give-ups", "recovery"):
        expect(page.locator(f"#chart-{chart} svg")).to_be_visible()
    reconnects = int(page.locator("[data-metric='reconnects']").inner_text())
    assert reconnects >= 20
    assert page.locator("#chart-reconnects rect.bar").count() >= 24
    expect(page.locator("[data-metric='give-ups']")).to_have_text("3")
    expect(page.locator("[data-metric='recovery-p50']")).to_contain_text(" s")
    expect(page.locator("#chart-close-codes")).to_contain_text("1006")
    screenshot(page, "admin-operations")
