"""Run the bundled Gemini Live emulator on its own, until Ctrl-C (or SIGTERM)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from conversations.live.emulator import EmulatorConfig, LiveEmulator


class Command(BaseCommand):
    help = "Serve the local Gemini Live emulator (HTTP and WebSocket on one port)."

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = EmulatorConfig()
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument(
            "--tls",
            action="store_true",
            help="Serve https/wss with a self-signed certificate for 127.0.0.1.",
        )
        parser.add_argument(
            "--connection-lifetime", type=float, default=defaults.connection_lifetime_s
        )
        parser.add_argument("--goaway-lead", type=float, default=defaults.goaway_lead_s)
        parser.add_argument(
            "--handle-lifetime", type=float, default=defaults.handle_lifetime_s
        )
        parser.add_argument("--session-cap", type=float, default=defaults.session_cap_s)
        parser.add_argument(
            "--api-key",
            action="append",
            dest="api_keys",
            metavar="KEY",
            help=(
                "An API key the emulator accepts; repeat for more. "
                f"Default: {', '.join(sorted(defaults.api_keys))}."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        api_keys = options["api_keys"] or EmulatorConfig().api_keys
        if any(not key.strip() for key in api_keys):
            raise CommandError("--api-key needs a key that is not blank.")
        config = EmulatorConfig(
            api_keys=frozenset(api_keys),
            connection_lifetime_s=options["connection_lifetime"],
            goaway_lead_s=options["goaway_lead"],
            handle_lifetime_s=options["handle_lifetime"],
            session_cap_s=options["session_cap"],
            tls=options["tls"],
        )
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self._serve(config, options["host"], options["port"]))

    async def _serve(self, config: EmulatorConfig, host: str, port: int) -> None:
        emulator = LiveEmulator(config)
        await emulator.start(host, port)

        def ready() -> None:
            self.stdout.write(f"Live emulator listening on {emulator.base_url}")
            # The emulator's own keys, never a real one: they open nothing but it.
            keys = ", ".join(sorted(config.api_keys))
            self.stdout.write(f"Accepted API keys: {keys}")
            if emulator.certificate_path is not None:
                self.stdout.write(
                    f"Self-signed certificate: {emulator.certificate_path}"
                )
            self.stdout.flush()

        await emulator.serve_until_signalled(ready)
