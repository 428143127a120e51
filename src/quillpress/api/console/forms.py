"""Form bodies and the ``next`` parameter.

The console's forms are ``application/x-www-form-urlencoded`` (no file is ever posted),
read here with the standard library: no multipart parser is installed, and none is
needed. Anything else is refused (422) before any field is read."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request

from quillpress.domain.errors import Invalid

FORM_TYPE = "application/x-www-form-urlencoded"
HOME = "/admin"


class Form:
    """A posted form's fields (the last value of a repeated one counts)."""

    def __init__(self, fields: dict[str, str]) -> None:
        self._fields = fields

    def text(self, name: str) -> str | None:
        """The field, stripped; ``None`` when absent or blank."""
        value = self._fields.get(name, "").strip()
        return value or None


async def read_form(request: Request) -> Form:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != FORM_TYPE:
        raise Invalid({"body": [f"must be a form ({FORM_TYPE})"]})
    body = await request.body()  # the edge has already bounded its size
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise Invalid({"body": ["is not UTF-8"]}) from None
    return Form(dict(pairs))


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of the console, or the overview. Anything
    else (another origin, ``//host``, a scheme, a backslash some browsers read as a
    slash, a control character) is ignored rather than followed: an open redirect from
    the sign-in page would lend a phishing link this site's name."""
    if not value or not value.startswith(HOME):
        return HOME
    if any(char in value for char in "\\\r\n\t") or "//" in value:
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return HOME
    path = parts.path
    if path != HOME and not path.startswith(f"{HOME}/"):
        return HOME  # /administrator is not the console
    if ".." in path.split("/"):
        return HOME  # /admin/../api is not the console either, once a browser resolves it
    return value
