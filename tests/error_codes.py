"""The error codes the socket sends, read from the code and from the README."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Where a code is given: raise BrowserProtocolError("code", …), error_event("code", …).
SENDERS = {"BrowserProtocolError", "error_event"}


def sent_error_codes() -> set[str]:
    """Every code literal the conversations app hands to the socket's error path."""
    codes = set()
    for path in (ROOT / "conversations").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None))
                in SENDERS
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                codes.add(node.args[0].value)
    return codes


def documented_error_codes() -> set[str]:
    """The codes in the README's table under "### Error codes"."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Error codes", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE))
