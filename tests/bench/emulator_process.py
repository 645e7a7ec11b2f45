"""The Live emulator in a process of its own, for benchmarks.

    python -m tests.bench.emulator_process --port P [--reply-chunk-delay S]

Prints one ``listening <url>`` line once it serves; stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from conversations.live.emulator import EmulatorConfig, LiveEmulator


async def serve(port: int, reply_chunk_delay_s: float) -> None:
    emulator = LiveEmulator(EmulatorConfig(reply_chunk_delay_s=reply_chunk_delay_s))
    await emulator.start("127.0.0.1", port)
    await emulator.serve_until_signalled(
        lambda: print(f"listening {emulator.base_url}", flush=True)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--reply-chunk-delay", type=float, default=0.02)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.reply_chunk_delay))


if __name__ == "__main__":
    main()
