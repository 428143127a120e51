"""``quillpress create-user``: the only way to create an administrator, with the password
from an option, stdin or a hidden prompt."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from quillpress.cli.failures import CONFIGURATION_ERROR, fail
from quillpress.cli.root import command, commands
from quillpress.cli.runtime import check_database, load_settings, run

if TYPE_CHECKING:
    from quillpress.config import Settings
    from quillpress.domain.auth import Role
    from quillpress.domain.commands import RegisterUser
    from quillpress.infra.security import Security

top_level = commands()


@command(top_level, "create-user")
def create_user(
    username: Annotated[str, typer.Argument(help="Unique username.")],
    email: Annotated[str, typer.Argument(help="Unique email address.")],
    password: Annotated[
        str | None, typer.Option(help="The password (visible to other local users).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    admin: Annotated[
        bool, typer.Option("--admin", help="Make an administrator (may delete anything).")
    ] = False,
) -> None:
    """Create an account; the only way to create an administrator.

    Without --password or --password-stdin, the password is prompted for (hidden).
    """
    from quillpress.domain.auth import Role
    from quillpress.domain.commands import RegisterUser
    from quillpress.domain.errors import DomainError
    from quillpress.domain.validation import parse
    from quillpress.infra.security import Security

    settings = load_settings()
    security = Security.from_settings(settings)
    secret = _password(password, from_stdin=password_stdin)
    check_database(settings)
    role = Role.ADMIN if admin else Role.USER
    try:
        registration = parse(
            RegisterUser, {"username": username, "email": email, "password": secret}
        )
        user_id = run(_create_user(settings, security, registration, role))
    except DomainError as error:
        fail(f"cannot create user: {error.describe()}")
    typer.echo(f"Created {role.value} {registration.username} (id {user_id}).")


async def _create_user(
    settings: Settings, security: Security, registration: RegisterUser, role: Role
) -> int:
    # Through the typed resources, so the write's after-commit purge reaches a shared
    # cache (Redis) that running servers read.
    from quillpress.db import migrate
    from quillpress.db.database import opened
    from quillpress.domain.clients import ClientInfo
    from quillpress.infra.limits import Limiter
    from quillpress.services import users as user_service
    from quillpress.wiring import open_resources

    async with open_resources(
        settings, security=security, null_pool=True, outside_server=True
    ) as resources:
        await migrate.upgrade(opened(resources.database).engine)
        session = await user_service.register(
            resources.database,
            security,
            registration,
            role=role,
            client=ClientInfo(),
            limiter=Limiter.disabled(),
        )
    return session.user.id


def _password(given: str | None, *, from_stdin: bool) -> str:
    """The password from --password, from stdin, or from a hidden, confirmed prompt.

    Prompting needs a terminal: in a script with neither flag, waiting on a prompt nobody
    sees (or reading a password from a pipe meant for something else) would be worse
    than refusing."""
    if given is not None and from_stdin:
        fail(
            "give the password with --password or --password-stdin, not both",
            CONFIGURATION_ERROR,
        )
    if given is not None:
        return given
    if from_stdin:
        piped = sys.stdin.read().rstrip("\r\n")
        if not piped:
            fail("--password-stdin read no password from standard input", CONFIGURATION_ERROR)
        return piped
    if not sys.stdin.isatty():
        fail(
            "no password given and no terminal to prompt on "
            "(pipe it in with --password-stdin, or pass --password)",
            CONFIGURATION_ERROR,
        )
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
