"""User text made safe to show: never markup, never raw control bytes, never a lone surrogate.

Messages, layer names, file names and exception texts come from users, recipes and report files.
Renderers pass them through `visible` and build Rich output from `Text` objects only, so `[/x]` is
shown as typed, an ESC byte cannot drive the terminal, and no writer crashes on bad Unicode.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

# C0 controls except tab and newline, DEL, C1 controls, and lone surrogates
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: object) -> str:
    """`text` with control characters and lone surrogates written as visible escapes (`\\x1b`)."""
    return _UNSAFE.sub(_escape, str(text))


def has_unsafe(text: str) -> bool:
    return _UNSAFE.search(text) is not None


def plain(value: object, style: str = "") -> Text:
    """A Rich `Text` showing `value` literally (imported lazily: rich is only for the terminal)."""
    from rich.text import Text

    if isinstance(value, Text):
        return value
    return Text(visible(value), style=style)
