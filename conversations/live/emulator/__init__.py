"""A local Gemini Live service speaking the real wire protocol, with fault injection.

``LiveEmulator`` serves HTTP and the Live WebSocket endpoints on one port;
``start_in_thread`` runs one on its own event loop in a daemon thread. It follows
the Live protocol reference; where the reference leaves a choice open:

* TLS (``EmulatorConfig(tls=True)`` / ``live_emulator --tls``): a self-signed
  certificate for 127.0.0.1 and localhost is made with the ``openssl`` command in
  a temporary directory at start; ``LiveEmulator.certificate_path`` names the PEM
  file a client can trust (``ssl.create_default_context(cafile=...)``).
* Errors are close frames only, never JSON error frames. A spent, late or unknown
  ephemeral token is refused with 1008 and the unregistered-caller reason.
* Resumption handles are issued after ``setupComplete``, after each completed
  turn and after history seeded with ``turnComplete: false``; each snapshots the
  session's context, so resuming from an older handle loses the later turns.
  The handle a client sends survives token locking unless the token names one.
* Ground truth (``GET /emulator/sessions``): ``replies`` holds every reply a
  session produced; a reply cut short by barge-in or a dropped socket holds only
  what was streamed, and the parallel ``interrupted`` list marks it ``True``.
* ``gemini-3.8-live*`` accept only the AUDIO response modality (reference §5).
"""

from __future__ import annotations

from .server import EmulatorConfig, EmulatorThread, LiveEmulator, start_in_thread

__all__ = ["EmulatorConfig", "EmulatorThread", "LiveEmulator", "start_in_thread"]
