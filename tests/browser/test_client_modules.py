"""Rules of the page's client modules, checked in the browser that runs them."""

from __future__ import annotations

import pytest

from .helpers import in_page as run_in_page

pytestmark = pytest.mark.browser

# A TranscriptView on an empty list, as `view`.
TRANSCRIPT_VIEW = """
    const { TranscriptView } = await import("/static/js/conversation/transcript.js");
    const list = document.createElement("ol");
    document.body.append(list);
    const view = new TranscriptView(list);
"""


def in_page(new_context, body: str):
    """Run `body` (the inside of an async JavaScript function) on a page of the app.

    `${TRANSCRIPT_VIEW}` in it stands for that setup. Returns what it returns.
    """
    return run_in_page(new_context, body.replace("${TRANSCRIPT_VIEW}", TRANSCRIPT_VIEW))


def test_page_socket_retries_at_once_then_backs_off_with_jitter_under_a_cap(
    app_server, new_context
):
    delays = in_page(
        new_context,
        """
            const { backoffDelay } = await import("/static/js/conversation/socket.js");
            const top = { baseMs: 500, capMs: 4000, random: () => 1 };
            const bottom = { ...top, random: () => 0 };
            return {
                first: backoffDelay(1, top),
                highest: [2, 3, 4, 5, 6, 9].map((n) => backoffDelay(n, top)),
                lowest: backoffDelay(6, bottom),
            };
        """,
    )
    assert delays["first"] == 0
    assert delays["highest"] == [500, 1000, 2000, 4000, 4000, 4000]
    assert delays["lowest"] == 0


def test_transcript_shows_an_item_delivered_twice_only_once(app_server, new_context):
    shown = in_page(
        new_context,
        """
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
        """,
    )
    assert shown == {"added": [True, False], "seqs": ["1", "2", "3"], "lastSeq": 3}


def test_pending_turns_keep_order_survive_a_reload_and_leave_when_acknowledged(
    app_server, new_context
):
    seen = in_page(
        new_context,
        """
            const { PendingTurns } = await import("/static/js/conversation/turns.js");
            const key = "continuum:turns:test";
            let next = 0;
            const newId = () => `turn-${++next}`;
            const turns = new PendingTurns(key, sessionStorage, { newId });
            const added = ["one", "two", "three"].map((text) => turns.add(text));
            const acknowledged = [turns.acknowledge("turn-2"),
                                  turns.acknowledge("turn-2"),
                                  turns.acknowledge("unknown")];
            // What a reload of the page finds.
            const reloaded = new PendingTurns(key, sessionStorage, { newId });
            const afterReload = reloaded.all;
            reloaded.acknowledge("turn-3");
            reloaded.acknowledge("turn-1");
            return { added, acknowledged, afterReload,
                     mine: turns.all.map((turn) => turn.id),
                     storedAtEnd: sessionStorage.getItem(key),
                     sizeAtEnd: reloaded.size };
        """,
    )
    assert seen["added"] == [
        {"id": "turn-1", "text": "one"},
        {"id": "turn-2", "text": "two"},
        {"id": "turn-3", "text": "three"},
    ]
    assert seen["acknowledged"] == [True, False, False]
    assert seen["afterReload"] == [
        {"id": "turn-1", "text": "one"},
        {"id": "turn-3", "text": "three"},
    ]
    assert seen["mine"] == ["turn-1", "turn-3"]
    assert seen["storedAtEnd"] is None
    assert seen["sizeAtEnd"] == 0


def test_pending_turns_skip_what_they_cannot_trust_and_make_valid_ids(
    app_server, new_context
):
    seen = in_page(
        new_context,
        """
            const { PendingTurns, isTurnId, newTurnId } = await import(
                "/static/js/conversation/turns.js"
            );
            const storage = (value) => ({
                getItem: () => value, setItem() {}, removeItem() {},
            });
            const stored = JSON.stringify([
                { id: "a", text: "kept" }, { id: "a", text: "same id again" },
                { id: "bad id", text: "x" }, { id: "b", text: "" }, null,
                { id: "c".repeat(65), text: "x" }, { id: "d", text: 7 },
                { id: "e_-9", text: "kept too" },
            ]);
            const full = { getItem: () => null,
                           setItem() { throw new Error("QuotaExceededError"); },
                           removeItem() {} };
            const quota = new PendingTurns("k", full);
            quota.add("still held in the page");
            // No randomUUID outside secure contexts: getRandomValues still works.
            const insecure = {
                getRandomValues: (bytes) => crypto.getRandomValues(bytes),
            };
            const ids = [newTurnId(), newTurnId(), newTurnId(insecure)];
            return {
                read: new PendingTurns("k", storage(stored)).all,
                garbage: new PendingTurns("k", storage("{not json")).all,
                notAList: new PendingTurns("k", storage('{"id": "a"}')).all,
                noStorage: (() => { const t = new PendingTurns("k", null);
                                    t.add("x"); return t.size; })(),
                quota: quota.all.map((turn) => turn.text),
                ids, valid: ids.map(isTurnId), distinct: new Set(ids).size,
                checks: ["", "a".repeat(64), "a".repeat(65), "a b", "é", "A-z_0", 5]
                    .map(isTurnId),
            };
        """,
    )
    assert seen["read"] == [
        {"id": "a", "text": "kept"},
        {"id": "e_-9", "text": "kept too"},
    ]
    assert seen["garbage"] == [] == seen["notAList"]
    assert seen["noStorage"] == 1
    assert seen["quota"] == ["still held in the page"]
    assert seen["valid"] == [True, True, True]
    assert seen["distinct"] == 3
    assert seen["checks"] == [False, True, False, False, False, True, False]


def test_transcript_settles_a_typed_turn_by_its_id_not_by_its_text(
    app_server, new_context
):
    seen = in_page(
        new_context,
        """
            ${TRANSCRIPT_VIEW}
            const pending = () => [...document.querySelectorAll(".item--pending")]
                .map((li) => li.dataset.turnId);
            view.addPendingTurn({ id: "first", text: "Same words" });
            view.addPendingTurn({ id: "second", text: "Same words" });
            view.addPendingTurn({ id: "second", text: "Same words" });
            const item = { role: "user", modality: "text", content: "Same words",
                           interrupted: false,
                           created_at: "2026-01-01T10:00:00+00:00" };
            const before = pending();
            view.addItem({ ...item, seq: 2, id: "someone-else" });
            const afterOther = pending();
            view.addItem({ ...item, seq: 4, id: "second" });
            const afterSecond = pending();
            // Stored before an item already shown (its ack was lost): still shown.
            view.addItem({ ...item, seq: 3, id: "first" });
            return { before, afterOther, afterSecond, afterFirst: pending(),
                     seqs: [...list.children].map((li) => li.dataset.seq),
                     shows: [view.showsTurn("first"), view.showsTurn("nope")] };
        """,
    )
    assert seen["before"] == ["first", "second"]
    assert seen["afterOther"] == ["first", "second"]
    assert seen["afterSecond"] == ["first"]
    assert seen["afterFirst"] == []
    assert seen["seqs"] == ["2", "3", "4"]
    assert seen["shows"] == [True, False]


def test_run_gate_ignores_an_older_runs_events_after_a_newer_runs(
    app_server, new_context
):
    admitted = in_page(
        new_context,
        """
            const { RunGate } = await import("/static/js/conversation/runs.js");
            const gate = new RunGate();
            return [
                { type: "status", status: "connected", run_id: 1 },
                { type: "session.created", run_id: 2 },
                { type: "status", status: "connected", run_id: 2 },
                // The previous device's relay, winding down late.
                { type: "status", status: "disconnected", reason: "device_switch",
                  run_id: 1 },
                { type: "context.restored", items: [], run_id: 0 },
                { type: "session.created", run_id: 1 },
                { type: "status", status: "reconnecting" },
                { type: "transcript.item", seq: 9, run_id: 0 },
                { type: "status", status: "connected", run_id: 3 },
                { type: "status", status: "connected", run_id: 2 },
            ].map((message) => gate.admit(message));
        """,
    )
    assert admitted == [True, True, True, False, False, False, True, True, True, False]


def test_transcript_reply_placeholder_gives_way_to_the_reply_it_stands_for(
    app_server, new_context
):
    seen = in_page(
        new_context,
        """
            ${TRANSCRIPT_VIEW}
            const captions = () => [...document.querySelectorAll("[data-caption]")]
                .map((li) => [li.dataset.caption,
                              li.querySelector(".item__content").textContent,
                              li.dataset.pending === "true",
                              li.dataset.interrupted === "true"]);
            const steps = {};
            view.expectReply();
            view.expectReply();
            steps.placeholder = captions();
            view.clearPendingReply();
            steps.noReplyComing = captions();
            view.expectReply();
            view.appendCaption("assistant", "Hel");
            view.clearPendingReply();
            steps.replyStarted = captions();
            view.markReplyInterrupted();
            steps.interrupted = captions();
            view.appendCaption("assistant", "lo");
            view.appendCaption("user", "Hi");
            steps.bothStreaming = captions();
            view.clearReply();
            steps.replyDropped = captions();
            view.appendCaption("assistant", "Again");
            view.clearCaptions();
            steps.allDropped = captions();
            view.appendCaption("assistant", "Stored soon");
            view.addItem({ seq: 1, role: "assistant", modality: "text",
                           content: "Stored", interrupted: false,
                           created_at: "2026-01-01T10:00:00+00:00" });
            steps.stored = captions();
            return steps;
        """,
    )
    # [role, text, pending, interrupted] of each live caption, top to bottom.
    assert seen["placeholder"] == [["assistant", "…", True, False]]
    assert seen["noReplyComing"] == []
    assert seen["replyStarted"] == [["assistant", "Hel", False, False]]
    assert seen["interrupted"] == [["assistant", "Hel", False, True]]
    # More of the reply clears the mark; the user's caption reads above the reply's.
    assert seen["bothStreaming"] == [
        ["user", "Hi", False, False],
        ["assistant", "Hello", False, False],
    ]
    assert seen["replyDropped"] == [["user", "Hi", False, False]]
    assert seen["allDropped"] == []
    assert seen["stored"] == []
