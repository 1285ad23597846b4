r"""Text from scenario files, run folders and exports, made safe to show or to embed.

Such text travels through shared repositories and folders, so it is written by whoever
could write there. A terminal obeys what it prints: ESC starts sequences that write the
clipboard (OSC 52), set the window title or clear the screen, and a newline in a value forges
a line of output. Every such string is passed through :func:`shown` before it is printed
(promosim's consoles never read rich markup, so ``[link=…]`` in a name is shown as typed).

One rule decides what is unsafe: a character that is not printable (``str.isprintable``:
C0 and C1 controls, DEL, line and paragraph separators, bidirectional overrides, …).
:func:`shown` writes it as a Python escape (``\x1b``); :func:`json_dumps` as a JSON escape
(``\u001b``), so that JSON output stays valid JSON.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

__all__ = ["json_dumps", "shown", "text_lines"]


def shown(text: object, *, lines: bool = False) -> str:
    r"""``text`` with every character that is not printable as an escape (``\n``, ``\x1b``).

    Args:
        text: Any value; it is shown as ``str(text)``.
        lines: Keep newlines (a message of several lines, each of them already built from
            shown values); every other control character is still escaped.
    """
    s = str(text)
    if s.isprintable():
        return s
    if lines:
        return "\n".join(shown(part) for part in s.split("\n"))
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in s)


def json_dumps(value: Any, **options: Any) -> str:
    r"""``json.dumps(value, ensure_ascii=False, **options)`` with unsafe characters escaped.

    Non-printable characters can only stand inside strings in JSON text (its own layout is
    spaces and newlines), so escaping them as ``\uXXXX`` keeps it valid and equal in value.
    """
    text = json.dumps(value, ensure_ascii=False, **options)
    if text.replace("\n", "").isprintable():
        return text
    return "".join(
        c if c == "\n" or c.isprintable() else json.dumps(c, ensure_ascii=True)[1:-1] for c in text
    )


def text_lines(text: str) -> Iterator[str]:
    r"""The lines of a text, each with its newline, one at a time (a CSV's rows to read).

    What ``io.StringIO(text)`` yields, without its copy of the whole text at four bytes a
    character (144 MB for a year's intervals.csv of 36 MB): only ``\n`` ends a line. A piece
    of about a MB is split at a time.
    """
    return itertools.chain.from_iterable(_pieces(text))


_PIECE = 1 << 20
"""Characters split into lines at a time by :func:`text_lines`."""

_OTHER_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
"""What ``str.splitlines`` also ends a line at, and a text file does not."""


def _pieces(text: str) -> Iterator[list[str]]:
    """A text's lines, each with its newline, a list per piece of whole lines."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", min(start + _PIECE, size) - 1)
        end = size if end < 0 else end + 1
        piece = text[start:end]
        if not any(c in piece for c in _OTHER_BREAKS):
            yield piece.splitlines(keepends=True)
        else:  # splitlines would end lines at these too: only at newlines
            yield [line + "\n" for line in piece.split("\n")[:-1]] + (
                [] if piece.endswith("\n") else [piece.rsplit("\n", 1)[-1]]
            )
        start = end
