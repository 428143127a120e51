"""Find secrets in captured log output: the scanner behind the DEBUG-log leak test.

Each secret is registered under a name that says what it is ("access token from login"),
so a failure names the leak, not only the bytes. A JWT is also looked for by its
signature segment alone: a log line that cut the token short, or split it at the dots,
would still hand out what makes it valid."""

from __future__ import annotations

from dataclasses import dataclass, field

SHORTEST_SECRET = 8
"""Shorter values would match by accident (and no secret of the flow is this short)."""


@dataclass
class Secrets:
    found: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, value: str | None) -> None:
        """Register ``value`` (a token, password, cookie value, key) under ``name``."""
        assert value, f"{name}: the flow produced no value to look for"
        assert len(value) >= SHORTEST_SECRET, f"{name}: {value!r} is too short to scan for"
        self.found[f"{name} #{len(self.found)}"] = value
        parts = value.split(".")
        if len(parts) == 3 and len(parts[2]) >= SHORTEST_SECRET:  # a JWT: its signature too
            self.found[f"{name} (signature) #{len(self.found)}"] = parts[2]

    def leaks(self, text: str) -> list[str]:
        """The names of the secrets that appear in ``text``, each with where it appears."""
        leaked = []
        for name, value in self.found.items():
            at = text.find(value)
            if at >= 0:
                context = text[max(0, at - 80) : at + len(value) + 20].replace(value, "<SECRET>")
                leaked.append(f"{name}: …{context}…")
        return leaked
