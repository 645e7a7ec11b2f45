"""The browser socket of a conversation: auth, ownership, relay, fan-out.

Each socket is either the conversation's *owner*, which holds the lease and the
upstream Live session (through a ``ConversationRelay``), or a *viewer* that
watches the live transcript through the conversation's channel-layer group.
Everything a relay publishes goes to the group, so every tab of the conversation,
on any worker, sees the same transcript; audio goes to the owner alone.

An owner whose conversation stays idle *pauses*: it lets the upstream and the
lease go, and takes them back on the next input. Who may hold an upstream, and
how often a user may type, is `limits`' business. Every socket also joins its
user's group, through which a sign-out or a password change closes it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from accounts import sessions

from . import limits, selectors
from .browser_protocol import (
    Audio,
    AudioEnd,
    BrowserProtocolError,
    Command,
    End,
    Hello,
    Mic,
    Resume,
    Takeover,
    Text,
    error_event,
    event,
    parse_binary_frame,
    parse_text_frame,
)
from .exports import item_as_dict
from .fanout import conversation_group, user_group
from .live.events import StopReason
from .models import Conversation
from .ratelimit import TokenBucket
from .relay import ConversationRelay

logger = logging.getLogger(__name__)

# Close codes the page knows: 4401 signed out (at the handshake, or later when
# the session ended), 4404 no such conversation, 4408 no hello in time.
CLOSE_NOT_LOGGED_IN = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_SERVER_ERROR = 1011
CLOSE_NO_HELLO = 4408
REPLAY_BATCH = 500


class ConversationConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_LOGGED_IN)
            return
        conversation = await database_sync_to_async(selectors.conversation_for_user)(
            user=user, public_id=self.scope["url_route"]["kwargs"]["public_id"]
        )
        if conversation is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.conversation: Conversation = conversation
        self.user_id: int = user.pk
        session = self.scope.get("session")
        self._session_key = getattr(session, "session_key", None)
        self._session_name = await database_sync_to_async(sessions.session_name)(
            session
        )
        self.group = conversation_group(self.conversation.public_id)
        self._let_go = False  # disconnect ran: the socket holds nothing any more
        self.relay: ConversationRelay | None = None
        # Paused: this socket owns the conversation but let its upstream (and
        # lease) go while it was idle; the next input takes them back.
        self.paused = False
        self._limited = False  # refused an upstream: the user has enough live
        self._owning = asyncio.Lock()
        self._idle: limits.IdleWatch | None = None
        self.greeted = False
        self._closing = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._takeover: asyncio.Task[Any] | None = None
        self.ownership = limits.LimitedOwnership(
            owner_id=self.user_id,
            limit=settings.CONVERSATION_MAX_LIVE_PER_USER,
            conversation_id=self.conversation.pk,
            channel_name=self.channel_name,
            group=self.group,
            layer=self.channel_layer,
            ttl_s=settings.CONVERSATION_LEASE_TTL_S,
        )
        self._pause_requests = limits.PauseRequests(
            self.channel_layer, self.channel_name
        )
        self._text_limit = TokenBucket(rate=10, burst=30)
        self._audio_limit = TokenBucket(rate=60, burst=120)
        self._throttle_told_at = 0.0
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(user_group(self.user_id), self.channel_name)
        await self.accept()
        self._spawn(self._close_unless_greeted())

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Serve the socket; however it ends, nothing of it outlives it.

        A channel-layer read that fails (a Redis timeout) ends the consumer
        without `disconnect`: its lease would go on being renewed and its
        upstream running, with nobody left to hand them over.
        """
        try:
            await super().__call__(scope, receive, send)
        finally:
            try:
                await self.disconnect(code=CLOSE_SERVER_ERROR)
            except Exception:
                logger.exception("letting go of an ended conversation socket failed")

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "group") or self._let_go:
            return
        self._let_go = True
        for task in list(self._tasks):
            task.cancel()
        try:
            await self._give_up_ownership(reason=StopReason.BROWSER_LEFT)
        finally:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_discard(
                user_group(self.user_id), self.channel_name
            )

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Handle one message; a failing handler never takes the socket down.

        A consumer that died would leave its lease renewed and its upstream
        running with nobody to hand them over (a Redis timeout is enough).
        """
        try:
            if _touches_no_database(message):
                await getattr(self, get_handler_name(message))(message)
            else:
                await super().dispatch(message)
        except (StopConsumer, asyncio.CancelledError):
            raise
        except Exception:
            logger.exception("conversation socket failed on %s", message.get("type"))
            if message.get("type") == "websocket.disconnect":
                # Whatever failed, nothing of this socket may outlive it.
                if hasattr(self, "ownership"):
                    self.ownership.stop_keeping()
                raise StopConsumer() from None

    # -- browser → server ---------------------------------------------------------
    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None
    ) -> None:
        limit = self._audio_limit if bytes_data is not None else self._text_limit
        if not limit.allow():
            await self._tell_throttled()
            return
        try:
            command = (
                parse_binary_frame(bytes_data)
                if bytes_data is not None
                else parse_text_frame(text_data or "")
            )
            await self._dispatch(command)
        except BrowserProtocolError as error:
            await self.send(text_data=error_event(error.code, error.message))
        except Exception:
            # One failed frame must not take the socket (or its upstream) down.
            logger.exception("conversation socket frame failed")
            await self.send(
                text_data=error_event(
                    "internal_error", "Something went wrong on the server; try again."
                )
            )

    async def _dispatch(self, command: Command) -> None:
        if isinstance(command, Hello):
            await self._hello(command.last_seq)
            return
        if not self.greeted:
            raise BrowserProtocolError("hello_first", 'Send "hello" first.')
        if isinstance(command, Takeover):
            if self._takeover is None or self._takeover.done():
                self._takeover = self._spawn(self._take_over())
            return
        voice = self.conversation.mode == Conversation.Mode.VOICE
        if isinstance(command, Audio) and not voice:
            raise BrowserProtocolError(
                "audio_not_enabled", "This is a text conversation: type instead."
            )
        if isinstance(command, Text) and (self.relay is not None or self.paused):
            if not await limits.allow_turn(self.user_id):
                raise BrowserProtocolError("rate_limited", limits.turn_rate_message())
        if self.paused and not await self._unpause_for(command):
            return
        relay = self._owned_relay()
        if isinstance(command, Audio):
            await relay.send_audio(command.pcm16)
        elif isinstance(command, Text):
            if not relay.running:
                await relay.start()
            await relay.send_text(command.text, client_turn_id=command.turn_id)
        elif isinstance(command, AudioEnd):
            await relay.end_audio()
        elif isinstance(command, Mic):
            if command.state == "paused":
                await relay.end_audio()
        elif isinstance(command, End):
            await relay.stop(reason=StopReason.USER)
        elif isinstance(command, Resume):
            await relay.resume()

    async def _hello(self, last_seq: int) -> None:
        if self.greeted:
            raise BrowserProtocolError("duplicate_hello", "hello was already sent.")
        self.greeted = True
        latest = await database_sync_to_async(selectors.latest_seq)(
            conversation=self.conversation
        )
        if last_seq > latest:
            await self.send(
                text_data=error_event(
                    "last_seq_ahead",
                    f"The page claims item {last_seq} but the conversation has "
                    f"{latest}: reload the page.",
                )
            )
            last_seq = latest
        await self._replay_items_after(last_seq)
        async with self._owning:
            if await self.ownership.acquire():
                await self._become_owner()
                return
        self._limited = self.ownership.over_limit
        await self._send_presence()

    async def _close_unless_greeted(self) -> None:
        await asyncio.sleep(settings.CONVERSATION_HELLO_TIMEOUT_S)
        if not self.greeted:
            await self._close(CLOSE_NO_HELLO, "hello was not sent in time")

    # -- ownership --------------------------------------------------------------
    async def _become_owner(self) -> None:
        self.paused = self._limited = False
        self.relay = relay = ConversationRelay(
            self.conversation,
            publish=self._publish,
            send_audio=self._send_audio,
            tell_owner=self._tell_here,
        )
        self.ownership.keep(on_lost=self._hand_over)
        after_s = settings.CONVERSATION_IDLE_PAUSE_S
        self._idle = limits.IdleWatch(
            after_s=after_s,
            idle_for=relay.idle_for,
            on_idle=lambda: self._pause_if_idle(after_s),
        )
        # Every socket of the conversation, this one included, re-reads presence.
        await self.channel_layer.group_send(self.group, {"type": "presence.changed"})
        await relay.start()
        self._idle.start()

    async def _take_over(self) -> None:
        if self.relay is not None:
            return
        room = True
        try:
            room = await limits.make_room(
                ownership=self.ownership, requests=self._pause_requests
            )
            taken = room and await self.ownership.take_over()
        except Exception:
            # The page is told, and asks again: a takeover never hangs unanswered.
            logger.exception("takeover failed")
            taken = False
        if taken:
            async with self._owning:
                if self.relay is None:
                    await self._become_owner()
            return
        if not room:
            await self.send(
                text_data=error_event(
                    "live_limit", limits.all_busy_message(self.ownership.limit)
                )
            )
            return
        await self.send(
            text_data=error_event(
                "takeover_failed",
                "The other device did not let go of the conversation. Try again.",
            )
        )

    async def _hand_over(self) -> None:
        """Another device took the conversation: step down and say so."""
        await self._give_up_ownership(reason=StopReason.DEVICE_SWITCH)
        await self.send(text_data=event("device.replaced"))
        await self._send_presence()

    async def _give_up_ownership(self, *, reason: StopReason) -> None:
        self.ownership.stop_keeping()
        if self._idle is not None:
            self._idle.stop()
        relay, self.relay = self.relay, None
        if relay is None:
            return
        try:
            await relay.stop(reason=reason)
        finally:
            await self.ownership.release()
            await self.channel_layer.group_send(
                self.group, {"type": "presence.changed"}
            )

    # -- pausing an idle upstream ----------------------------------------------------
    async def _pause_if_idle(self, for_s: float) -> bool:
        """Let the upstream go if the conversation has been idle for `for_s` s."""
        async with self._owning:
            idle = self.relay.idle_for() if self.relay is not None else None
            if idle is None or idle < for_s:
                return False
            self.paused = True
            await self._give_up_ownership(reason=StopReason.IDLE)
            return True

    async def _unpause_for(self, command: Command) -> bool:
        """Input reached a paused conversation: whether it runs again for it."""
        if isinstance(command, End):
            # Nothing runs to stop; the page shows the conversation ended.
            await self.send(
                text_data=event("status", status="disconnected", reason="user")
            )
            return False
        if not isinstance(command, Text | Audio | Resume):
            return False
        async with self._owning:
            if not self.paused:
                return self.relay is not None
            self.paused = False
            if await self.ownership.acquire():
                await self._become_owner()
                return True
        self._limited = self.ownership.over_limit
        if not self._limited:
            # Another tab or device took the conversation while it rested.
            await self.send(text_data=event("device.replaced"))
        await self._send_presence()
        return False

    def _owned_relay(self) -> ConversationRelay:
        if self.relay is None:
            raise BrowserProtocolError(
                "not_owner",
                "This conversation is live on another device. Continue here first.",
            )
        return self.relay

    async def send(
        self,
        text_data: str | None = None,
        bytes_data: bytes | None = None,
        close: bool | int = False,
    ) -> None:
        """Send to the browser; a socket that is already closing takes nothing.

        Between the browser's close frame and its disconnect event, the server
        refuses to send. Raising then would take the consumer down with its
        lease and upstream orphaned; the disconnect that follows cleans up, and
        the page catches up with `hello` when it comes back.
        """
        try:
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        except Disconnected:
            logger.debug("conversation socket closing; dropped an outgoing frame")

    # -- channel layer handlers ---------------------------------------------------
    async def conversation_event(self, message: dict[str, Any]) -> None:
        await self.send(text_data=message["text"])

    async def lease_release(self, message: dict[str, Any]) -> None:
        if self.relay is not None:
            await self._hand_over()

    async def conversation_deleted(self, message: dict[str, Any]) -> None:
        relay, self.relay = self.relay, None
        if relay is not None:
            await relay.stop(reason=StopReason.USER, deleted=True)
        await self.send(
            text_data=error_event("deleted", "This conversation was deleted.")
        )
        await self.close(code=CLOSE_NOT_FOUND)

    async def conversation_end(self, message: dict[str, Any]) -> None:
        """Staff ended the conversation: as if its owner had pressed End."""
        if self.relay is not None:
            await self.relay.stop(reason=StopReason.USER)

    async def conversation_forget_handle(self, message: dict[str, Any]) -> None:
        if self.relay is not None:
            self.relay.forget_handle()

    async def presence_changed(self, message: dict[str, Any]) -> None:
        self.ownership.presence_changed()
        if self.greeted:
            await self._send_presence()

    async def upstream_pause_if_idle(self, message: dict[str, Any]) -> None:
        """The user opened another conversation past the live limit."""
        paused = await self._pause_if_idle(0)
        await self._pause_requests.answer(message, paused)

    async def upstream_pause_answer(self, message: dict[str, Any]) -> None:
        self._pause_requests.answered(message)

    async def user_signed_out(self, message: dict[str, Any]) -> None:
        session = message.get("session")
        if session is None or session == self._session_name:
            await self._signed_out()

    async def user_sessions_changed(self, message: dict[str, Any]) -> None:
        if message.get("keep") == self._session_name:
            return
        signed_in = await database_sync_to_async(sessions.signed_in_user_id)(
            self._session_key
        )
        if signed_in != self.user_id:
            await self._signed_out()

    async def _signed_out(self) -> None:
        self.paused = False
        await self._give_up_ownership(reason=StopReason.BROWSER_LEFT)
        await self.send(
            text_data=error_event(
                "signed_out", "You were signed out. Sign in again to carry on."
            )
        )
        await self._close(CLOSE_NOT_LOGGED_IN, "signed out")

    async def _close(self, code: int, reason: str) -> None:
        if not self._closing:
            self._closing = True
            await self.close(code=code, reason=reason)

    # -- server → browser -----------------------------------------------------------
    async def _publish(self, kind: str, payload: dict[str, Any]) -> None:
        await self.channel_layer.group_send(
            self.group, {"type": "conversation.event", "text": event(kind, **payload)}
        )

    async def _tell_here(self, kind: str, payload: dict[str, Any]) -> None:
        await self.send(text_data=event(kind, **payload))

    async def _send_audio(self, pcm16: bytes) -> None:
        await self.send(bytes_data=pcm16)

    async def _send_presence(self) -> None:
        holder = "" if self.relay is not None else await self.ownership.holder()
        elsewhere = bool(holder) and holder != self.channel_name
        if self.paused and elsewhere:
            # Another tab or device took the conversation while it rested here.
            self.paused = False
            await self.send(text_data=event("device.replaced"))
        owner = self.relay is not None or self.paused
        payload: dict[str, Any] = {
            "role": "owner" if owner else "viewer",
            "live_elsewhere": elsewhere,
        }
        if not owner and not holder and self._limited:
            payload["live_limit"] = self.ownership.limit
        await self.send(text_data=event("presence", **payload))

    async def _replay_items_after(self, last_seq: int) -> None:
        while True:
            items = await database_sync_to_async(selectors.items_after)(
                conversation=self.conversation, after_seq=last_seq, limit=REPLAY_BATCH
            )
            for item in items:
                await self.send(
                    text_data=event("transcript.item", **item_as_dict(item))
                )
            if len(items) < REPLAY_BATCH:
                return
            last_seq = items[-1].seq

    async def _tell_throttled(self) -> None:
        now = time.monotonic()
        if now - self._throttle_told_at >= 1:
            self._throttle_told_at = now
            await self.send(
                text_data=error_event(
                    "rate_limited", "Too many frames: some were dropped. Slow down."
                )
            )

    def _spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_log_failure)
        return task


def _touches_no_database(message: dict[str, Any]) -> bool:
    """An audio frame, or an event to pass on: nothing for the database.

    Channels closes stale database connections before every handler, in the
    database thread: for these, one per 20 ms of a person's audio and one per
    caption piece, each waited behind every other socket's queries and commits.
    The database work they may lead to (taking a paused conversation back) goes
    through ``database_sync_to_async``, which closes stale connections itself.
    """
    kind = message["type"]
    if kind == "websocket.receive":
        return message.get("bytes") is not None
    return kind == "conversation.event"


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("conversation socket task failed", exc_info=task.exception())
