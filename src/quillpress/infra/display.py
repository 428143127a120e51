"""Text a client chose (an email, a user agent, a path), shown on an operator's terminal.

A terminal obeys what it is sent: ``ESC [`` sequences recolour or clear the screen, set
the window title or (OSC 8) make hyperlinks, bidi overrides (U+202E) show a line in an
order other than its bytes', a bare carriage return overwrites what came before. So
whatever a client wrote is passed through :func:`visible` before it is printed: every
character Python's ``str.isprintable`` rejects (C0 and C1 controls, DEL, ESC, format
characters such as bidi overrides and zero-width spaces, line and paragraph separators,
spaces other than U+0020, unassigned, private and surrogate code points) is written as
its Python escape (``\\x1b``, ``\\u202e``, ``\\n``), and a backslash as ``\\\\``, so the
escaped form cannot be forged either. The result is one line of printable text that
reads back exactly as the stored value. Rich markup is a separate matter: the CLI prints
such text as ``rich.text.Text`` objects, never as a markup string."""

from __future__ import annotations


def visible(text: str) -> str:
    """``text`` with every non-printable character and the backslash escaped as Python
    escapes them (``"\\x1b[31m"`` for an ESC followed by ``[31m``)."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(char if char.isprintable() and char != "\\" else _escaped(char) for char in text)


def _escaped(char: str) -> str:
    return char.encode("unicode_escape").decode("ascii")
