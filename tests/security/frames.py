"""Hypothesis strategies for what a browser, careless or hostile, sends on the socket.

Text frames are strings, binary frames bytes. Large frames are built by repeating
a small drawn piece, so that a 64 KiB frame costs Hypothesis a few choices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from hypothesis import strategies as st

from conversations.browser_protocol import (
    MAX_AUDIO_FRAME_BYTES,
    MAX_TEXT_FRAME_BYTES,
    MAX_TURN_CHARS,
    BrowserProtocolError,
    Text,
    parse_binary_frame,
    parse_text_frame,
)

Frame = str | bytes


def weighted(*choices: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    """Draw from one of the strategies, each as often as its weight says."""
    # one_of picks its branches evenly but drops repeats of one strategy: each
    # repeat is a distinct (mapped) strategy, so weight 3 is three branches.
    return st.one_of(
        [strategy.map(_same) for weight, strategy in choices for _ in range(weight)]
    )


def _same(value: object) -> object:
    return value


# Every code point, lone surrogates and NUL included: json.dumps escapes them
# (as a page's JSON.stringify would), so they reach the server inside valid UTF-8.
any_char = st.one_of(
    st.characters(codec=None, exclude_categories=()),
    st.characters(categories=["Cs"]),  # rare among all code points: drawn apart
    st.sampled_from("\x00\u2028\ufeff"),
)
any_text = st.text(any_char, max_size=40)
# What a websockets client can put in a text frame: valid UTF-8 only.
sendable_text = st.text(max_size=60)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, any_text)
keys = st.one_of(st.sampled_from(["type", "text", "id", "last_seq", "state"]), any_text)
# Two levels of nesting, written out: st.recursive costs far more to draw.
nested = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(keys, scalars, max_size=3),
)
json_values = st.one_of(
    nested,
    st.lists(nested, max_size=3),
    st.dictionaries(keys, nested, max_size=3),
)
TYPES = ["hello", "text", "audio.end", "mic", "end", "takeover", "resume", "audio"]
turn_ids = st.one_of(
    st.none(),
    st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
    any_text,
    numbers,
)
plain_turn = st.text(min_size=1, max_size=40).filter(str.strip)
turn_texts = weighted(
    (8, plain_turn),
    (2, any_text),  # lone surrogates, NUL, blank
    (1, json_values),  # not a string at all
    # Either side of the turn limit.
    (
        1,
        st.builds(
            lambda c, n: c * n,
            st.sampled_from("a é🙂"),
            st.integers(MAX_TURN_CHARS - 10, MAX_TURN_CHARS + 10),
        ),
    ),
)


def dumps(value: object) -> str:
    return json.dumps(value, allow_nan=True)


def as_text_frame(fields: dict) -> str:
    return dumps(fields)


hello_frames = st.builds(
    lambda last_seq: as_text_frame(
        {"type": "hello"}
        if last_seq is None
        else {"type": "hello", "last_seq": last_seq}
    ),
    st.one_of(st.none(), st.integers(0, 3), st.integers(4, 10**9), json_values),
)
text_turns = st.builds(
    lambda text, turn_id: as_text_frame(
        {"type": "text", "text": text} | ({} if turn_id is None else {"id": turn_id})
    ),
    turn_texts,
    turn_ids,
)
simple_commands = st.builds(
    lambda kind, extra: as_text_frame(extra | {"type": kind}),
    st.sampled_from(["audio.end", "takeover", "audio"]),
    st.dictionaries(keys, json_values, max_size=2),
)
mic_frames = st.builds(
    lambda state: as_text_frame({"type": "mic", "state": state}),
    st.one_of(st.sampled_from(["live", "paused"]), json_values),
)
# Ending or resuming opens and closes an upstream: rarer than the rest.
rare_commands = st.sampled_from(['{"type":"end"}', '{"type":"resume"}'])
typed_objects = st.builds(
    lambda kind, rest: dumps({"type": kind} | rest),
    st.one_of(st.sampled_from(TYPES), scalars),
    st.dictionaries(keys, json_values, max_size=3),
)
deep_nesting = st.builds(
    lambda opener, depth: opener * depth,
    st.sampled_from(["[", '{"a":', "[{"]),
    st.integers(1, 9000),
)
oversized_text = st.builds(
    lambda piece, extra: piece * ((MAX_TEXT_FRAME_BYTES + extra) // len(piece)),
    st.sampled_from(["x", '{"type":"text","text":"', "é"]),
    st.integers(-8, 64),
)
# Large frames and upstream churn (end, resume) are the costly ones: rarer.
text_frames = weighted(
    (4, hello_frames),
    (10, text_turns),
    (3, simple_commands),
    (2, mic_frames),
    (3, typed_objects),
    (2, json_values.map(dumps)),
    (3, sendable_text),
    (1, deep_nesting),
    (1, oversized_text),
    (1, rare_commands),
)


def _pcm(seed: bytes, length: int) -> bytes:
    return (seed * (length // len(seed) + 1))[:length]


binary_frames = weighted(
    # PCM16 is an even number of bytes; odd lengths come from the raw branch.
    (
        8,
        st.builds(
            _pcm,
            st.binary(min_size=1, max_size=8),
            st.integers(1, 800).map(lambda samples: 2 * samples),
        ),
    ),
    (4, st.binary(max_size=64)),
    (3, json_values.map(lambda value: dumps(value).encode())),
    (1, deep_nesting.map(str.encode)),
    (
        1,
        st.builds(
            _pcm,
            st.binary(min_size=1, max_size=4),
            st.integers(MAX_AUDIO_FRAME_BYTES - 4, MAX_AUDIO_FRAME_BYTES + 4),
        ),
    ),
)


@dataclass(frozen=True)
class Script:
    """What one socket sends: frames before a hello, maybe a hello, frames after."""

    frames: tuple[Frame, ...]


# Most sockets say a valid hello somewhere: the frames after it reach the relay
# and Live; the ones before must be refused.
hellos = weighted((3, st.just('{"type":"hello","last_seq":0}')), (1, hello_frames))


def script(size: int, texts: int) -> st.SearchStrategy[Script]:
    """`size` frames, `texts` of them text (a hello among them, early), the rest binary.

    The strategies are made once, not in each draw: Hypothesis validates every
    new strategy, and doing that per draw costs more than the drawing.
    """
    text_part = st.lists(text_frames, min_size=texts - 1, max_size=texts - 1)
    binary_part = st.lists(binary_frames, min_size=size - texts, max_size=size - texts)
    order = st.permutations(range(size - 1))
    hello_at = st.integers(0, 5)

    @st.composite
    def build(draw: st.DrawFn) -> Script:
        frames: list[Frame] = [*draw(text_part), *draw(binary_part)]
        ordered = [frames[index] for index in draw(order)]
        ordered.insert(draw(hello_at), draw(hellos))
        return Script(frames=tuple(ordered))

    return build()


def refused_by_the_parser(frame: Frame) -> bool:
    """Whether the frame is bad whatever the socket's state (one error each)."""
    try:
        if isinstance(frame, bytes):
            parse_binary_frame(frame)
        else:
            parse_text_frame(frame)
    except BrowserProtocolError:
        return True
    return False


def typed_turn(frame: Frame) -> str | None:
    """The text a frame asks to store, if it is a well-formed typed turn."""
    if isinstance(frame, bytes):
        return None
    try:
        command = parse_text_frame(frame)
    except BrowserProtocolError:
        return None
    return command.text if isinstance(command, Text) else None
