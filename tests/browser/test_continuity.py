"""The conversation survives upstream drops, refreshes and a move to another device."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.harness import ROOT, Worker

from .helpers import (
    assistant_reply,
    end_outage,
    open_conversation,
    send_text,
    shown_seqs,
    start_outage,
    stored_bubbles,
    wait_for_js,
    wait_until_live,
    watch_errors,
)

pytestmark = pytest.mark.browser


def stored_seqs(app_server, public_id: str) -> list[int]:
    return [item["seq"] for item in app_server.transcript(public_id)]


@pytest.mark.app_env(LIVE_MAX_BACKOFF_MS="1500", LIVE_MAX_ATTEMPTS="40")
def test_upstream_drop_shows_reconnecting_then_recovers_without_duplicates(
    app_server, user_email, new_context, page_errors, screenshot
):
    public_id = app_server.create_conversation(user_email, "Drop test", mode="text")
    page = new_context(user_email).new_page()
    watch_errors(page, page_errors)
    open_conversation(page, public_id)
    wait_until_live(page)
    send_text(page, "Remember the number seven.")
    expect(assistant_reply(page, 1)).to_be_visible()

    # Live stays away long enough for "Reconnecting…" to show (a shorter drop
    # shows nothing).
    start_outage(app_server)
    status = page.locator("#status")
    expect(status).to_have_attribute("data-status", "reconnecting")
    expect(status).to_contain_text("Reconnecting…")
    screenshot(page, "reconnecting")
    end_outage(app_server)

    wait_until_live(page)
    expect(page.locator(".toast", has_text="Connection restored")).to_be_visible()
    send_text(page, "What number was it?")
    reply = assistant_reply(page, 2)
    expect(reply).to_contain_text('You first said "Remember the number seven."')
    expect(page.locator(".item--pending")).to_have_count(0)
    seqs = shown_seqs(page)
    assert len(seqs) == len(set(seqs))
    assert seqs == stored_seqs(app_server, public_id)


def test_refresh_mid_conversation_keeps_history_and_context(
    app_server, user_email, new_context, page_errors
):
    public_id = app_server.create_conversation(user_email, "Refresh", mode="text")
    page = new_context(user_email).new_page()
    watch_errors(page, page_errors)
    open_conversation(page, public_id)
    wait_until_live(page)
    send_text(page, "My name is Ada.")
    expect(assistant_reply(page, 1)).to_be_visible()

    page.reload()
    assert shown_seqs(page) == [1, 2]
    wait_until_live(page)
    # Nothing dropped: a reload is worth no notice.
    page.wait_for_timeout(500)
    expect(page.locator(".toast")).to_have_count(0)
    send_text(page, "Who am I?")
    expect(assistant_reply(page, 2)).to_contain_text('You first said "My name is Ada."')
    assert shown_seqs(page) == [1, 2, 3, 4] == stored_seqs(app_server, public_id)

    # The history is part of the page itself, even with scripts switched off.
    plain = new_context(user_email, javascript=False).new_page()
    open_conversation(plain, public_id)
    expect(stored_bubbles(plain)).to_have_count(4)


def test_another_device_sees_everything_takes_over_and_the_first_can_take_it_back(
    app_server, user_email, new_context, page_errors, screenshot
):
    public_id = app_server.create_conversation(
        user_email,
        "Two devices",
        mode="text",
        items=[("user", "Earlier question"), ("assistant", "Earlier answer")],
    )
    laptop = new_context(user_email).new_page()
    watch_errors(laptop, page_errors)
    open_conversation(laptop, public_id)
    wait_until_live(laptop)
    send_text(laptop, "Sent from the laptop")
    expect(laptop.locator("#transcript li[data-seq='4']")).to_be_visible()

    phone = new_context(user_email, phone=True).new_page()
    watch_errors(phone, page_errors)
    open_conversation(phone, public_id)
    assert shown_seqs(phone) == [1, 2, 3, 4]
    offer = phone.locator("#presence")
    expect(offer).to_contain_text("live on another device")
    expect(phone.get_by_label("Message")).to_be_disabled()
    screenshot(phone, "continue-here")

    phone.get_by_role("button", name="Continue here").click()
    wait_until_live(phone)
    expect(offer).to_be_hidden()
    expect(laptop.locator("#presence")).to_contain_text("moved to another device")
    expect(laptop.get_by_label("Message")).to_be_disabled()
    take_back = laptop.get_by_role("button", name="Take it back")
    expect(take_back).to_be_visible()

    send_text(phone, "Sent from the phone")
    expect(phone.locator("#transcript li[data-seq='6']")).to_be_visible()
    # The first device keeps watching the conversation as it goes on.
    expect(laptop.locator("#transcript li[data-seq='6']")).to_be_visible()
    screenshot(laptop, "moved-to-another-device")

    take_back.click()
    wait_until_live(laptop)
    expect(phone.locator("#presence")).to_contain_text("moved to another device")
    for page in (laptop, phone):
        assert shown_seqs(page) == stored_seqs(app_server, public_id)


def test_ending_shows_a_final_state_and_resume_carries_on(
    app_server, user_email, new_context, page_errors, screenshot
):
    public_id = app_server.create_conversation(user_email, "Ending", mode="text")
    page = new_context(user_email).new_page()
    watch_errors(page, page_errors)
    open_conversation(page, public_id)
    wait_until_live(page)
    send_text(page, "Before the break")
    expect(assistant_reply(page, 1)).to_be_visible()

    page.get_by_role("button", name="End conversation").click()
    expect(page.locator("#status")).to_have_attribute("data-status", "disconnected")
    expect(page.locator("#status")).to_contain_text("You ended this conversation")
    expect(page.locator("#final")).to_contain_text("saved")
    resume = page.get_by_role("button", name="Resume")
    expect(resume).to_be_focused()
    expect(page.get_by_label("Message")).to_be_disabled()

    resume.click()
    wait_until_live(page)
    expect(page.locator("#final")).to_be_hidden()
    send_text(page, "After the break")
    expect(assistant_reply(page, 2)).to_be_visible()


@pytest.mark.app_env(LIVE_MAX_ATTEMPTS="2", LIVE_MAX_BACKOFF_MS="600")
def test_after_the_server_gives_up_resume_brings_it_back(
    app_server, user_email, new_context, page_errors, screenshot
):
    public_id = app_server.create_conversation(user_email, "Gave up", mode="text")
    page = new_context(user_email).new_page()
    watch_errors(page, page_errors)
    open_conversation(page, public_id)
    wait_until_live(page)

    app_server.fault({"action": "fail_token_mints", "count": 2})
    app_server.fault({"action": "drop"})
    expect(page.locator("#status")).to_have_attribute("data-reason", "gave_up")
    expect(page.locator("#status")).to_contain_text("could not be reached")
    expect(page.locator("#final")).to_contain_text("Nothing is lost")
    screenshot(page, "gave-up")

    page.get_by_role("button", name="Resume").click()
    wait_until_live(page)
    send_text(page, "Are you back?")
    expect(assistant_reply(page, 1)).to_be_visible()


def test_the_page_reconnects_by_itself_when_the_server_comes_back(
    app_server, user_email, new_context, page_errors
):
    public_id = app_server.create_conversation(
        user_email, "Server restart", mode="text"
    )
    page = new_context(user_email).new_page()
    watch_errors(page, page_errors)
    open_conversation(page, public_id)
    wait_until_live(page)
    send_text(page, "Before the restart")
    expect(assistant_reply(page, 1)).to_be_visible()

    worker = app_server.workers[0]
    worker.kill()
    status = page.locator("#status")
    expect(status).to_have_attribute("data-layer", "page")
    expect(status).to_contain_text("Reconnecting…")

    # The same address comes back, as after a deploy or a crash.
    log = (app_server.tmp_dir / "daphne-restarted.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(worker.port)]
        + ["config.asgi:application"],
        cwd=ROOT,
        env=app_server.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    app_server.workers.append(
        Worker(port=worker.port, process=process, log_path=Path(log.name))
    )
    wait_for_js(
        page,
        "window.continuum.role === 'owner' && window.continuum.status === 'connected'",
        timeout_ms=30_000,
    )
    send_text(page, "After the restart")
    expect(assistant_reply(page, 2)).to_contain_text(
        'You first said "Before the restart"'
    )
    assert shown_seqs(page) == [1, 2, 3, 4] == stored_seqs(app_server, public_id)


def test_going_offline_holds_messages_and_reconnects_when_back_online(
    app_server, user_email, new_context, page_errors
):
    public_id = app_server.create_conversation(user_email, "Tunnel", mode="text")
    context = new_context(user_email)
    page = context.new_page()
    watch_errors(page, page_errors)
    open_conversation(page, public_id)
    wait_until_live(page)

    context.set_offline(True)
    status = page.locator("#status")
    expect(status).to_contain_text("You're offline")
    send_text(page, "Typed in the tunnel")
    expect(page.locator(".item--pending")).to_contain_text("Typed in the tunnel")

    context.set_offline(False)
    wait_until_live(page)
    expect(assistant_reply(page, 1)).to_contain_text('You said "Typed in the tunnel"')
    expect(page.locator(".item--pending")).to_have_count(0)
    assert shown_seqs(page) == [1, 2] == stored_seqs(app_server, public_id)
