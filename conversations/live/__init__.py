"""Gemini Live client library: protocol, upstream session, emulator. No Django."""
