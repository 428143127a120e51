"""Avatar images drawn from a name alone: initials on a coloured disc, as a small SVG.

Demo accounts need pictures that load offline and never change, so the app renders them
itself instead of pointing at an avatar service. The same name always gives the same bytes
(the colour comes from a hash of the name, never from ``hash()``, which is salted per
process), so responses can be cached as immutable."""

from __future__ import annotations

import colorsys
import hashlib
import html
import re
from urllib.parse import quote

PATH = "/avatars/{name}.svg"
"""Where the app serves them (``api/avatars.py``); kept here, free of web imports, so the
seeder can build URLs without loading FastAPI."""
MAX_NAME_LENGTH = 64
SIZE = 128

_PARTS = re.compile(r"[^\W_]+")  # runs of letters and digits: "dana_diaz" → "dana", "diaz"


def url(base_url: str, name: str) -> str:
    """The absolute address of ``name``'s avatar under ``base_url`` (no trailing slash).

    Stored absolute, so a front end served from another origin can load the image."""
    return base_url + PATH.format(name=quote(name, safe=""))


def is_valid_name(name: str) -> bool:
    """Any printable text up to 64 characters that is not only blanks.

    ``str.isprintable`` rejects control, format, private-use, unassigned and surrogate code
    points, which also keeps out every character XML 1.0 forbids in a document."""
    return 0 < len(name) <= MAX_NAME_LENGTH and name.isprintable() and not name.isspace()


def initials(name: str) -> str:
    """Up to two capitals: the first letters of the first two words ("dana_diaz" → "DD",
    "Ada Lovelace" → "AL", "zoe" → "Z"); the first character when there is no word at all."""
    parts = _PARTS.findall(name)
    if not parts:
        return name.strip()[:1]
    return "".join(part[0] for part in parts[:2]).upper()


def colour(name: str) -> str:
    """A stable, saturated mid-tone ``#rrggbb`` picked by the name's hash, dark enough for
    white text."""
    digest = hashlib.blake2s(name.encode(), digest_size=4).digest()
    hue = int.from_bytes(digest[:2], "big") / 65_536
    lightness = 0.36 + digest[2] / 255 * 0.12
    red, green, blue = colorsys.hls_to_rgb(hue, lightness, 0.55)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def render(name: str) -> str:
    """The SVG document for ``name`` (a valid one, see :func:`is_valid_name`).

    Every piece of the name is escaped for XML text and attributes (``html.escape`` with
    ``quote=True`` emits only the five XML entities, ``'`` as ``&#x27;``)."""
    label = html.escape(name, quote=True)
    letters = html.escape(initials(name), quote=True)
    half = SIZE // 2
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
        f'viewBox="0 0 {SIZE} {SIZE}" role="img" aria-label="{label}">'
        f"<title>{label}</title>"
        f'<circle cx="{half}" cy="{half}" r="{half}" fill="{colour(name)}"/>'
        f'<text x="50%" y="50%" dy="0.35em" text-anchor="middle" fill="#ffffff" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" '
        f'font-size="{SIZE * 2 // 5}" font-weight="600">{letters}</text>'
        "</svg>"
    )
