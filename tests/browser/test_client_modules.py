"""Rules of the page's client modules, checked in the browser that runs them."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_page_socket_retries_at_once_then_backs_off_with_jitter_under_a_cap(
    app_server, new_context
):
    page = new_context().new_page()
    page.goto("/accounts/login/")
    delays = page.evaluate(
        """async () => {
            const { backoffDelay } = await import("/static/js/conversation/socket.js");
            const top = { baseMs: 500, capMs: 4000, random: () => 1 };
            const bottom = { ...top, random: () => 0 };
            return {
                first: backoffDelay(1, top),
                highest: [2, 3, 4, 5, 6, 9].map((n) => backoffDelay(n, top)),
                lowest: backoffDelay(6, bottom),
            };
        }"""
    )
    assert delays["first"] == 0
    assert delays["highest"] == [500, 1000, 2000, 4000, 4000, 4000]
    assert delays["lowest"] == 0


def test_transcript_shows_an_item_delivered_twice_only_once(app_server, new_context):
    page = new_context().new_page()
    page.goto("/accounts/login/")
    shown = page.evaluate(
        """async () => {
            const { TranscriptView } = await import(
                "/static/js/conversation/transcript.js"
            );
            const list = document.createElement("ol");
            list.innerHTML = '<li data-seq="1" data-role="user">Server-rendered</li>';
            document.body.append(list);
            const view = new TranscriptView(list);
            const item = { seq: 3, role: "assistant", modality: "text",
                           content: "Hello", interrupted: false,
                           created_at: "2026-01-01T10:00:00+00:00" };
            const added = [view.addItem(item), view.addItem({ ...item })];
            view.addItem({ ...item, seq: 2, role: "user", content: "Hi" });
            return { added, seqs: [...list.children].map((li) => li.dataset.seq),
                     lastSeq: view.lastSeq };
        }"""
    )
    assert shown == {"added": [True, False], "seqs": ["1", "2", "3"], "lastSeq": 3}
