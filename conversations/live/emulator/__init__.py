"""A local Gemini Live service speaking the real wire protocol, with fault injection.

``LiveEmulator`` serves HTTP (token minting, faults, ground truth) and the Live
WebSocket endpoints on one port; ``start_in_thread`` runs one on its own loop.
"""

from __future__ import annotations

from .server import EmulatorConfig, EmulatorThread, LiveEmulator, start_in_thread

__all__ = ["EmulatorConfig", "EmulatorThread", "LiveEmulator", "start_in_thread"]
