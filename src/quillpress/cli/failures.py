"""How a command fails: one clear line on stderr instead of a traceback, with an exit
status that says which kind: 2 for configuration (a bad setting, a database that cannot
be reached, a weak production key, a missing password, a wrong option), 1 for everything
else (a taken username, a database that is not empty). ``QUILLPRESS_LOG_LEVEL=DEBUG``
adds the traceback.

The root group (``cli.root``) runs every command inside the two reporters below, so the
rules are written once and hold for all of them."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from typer._click.exceptions import NoArgsIsHelpError, UsageError  # click, vendored by Typer

FAILURE = 1
CONFIGURATION_ERROR = 2  # also what click uses for a wrong option or argument


@contextmanager
def reporting_configuration_errors() -> Iterator[None]:
    """Turn a ``ConfigurationError``, or ``Settings`` rejecting a value, into one line on
    stderr and exit status 2.

    The traceback is noise to someone who typed a wrong value, so it is shown only when
    ``QUILLPRESS_LOG_LEVEL=DEBUG`` (read raw: the level itself may be the bad setting)."""
    try:
        yield
    except Exception as error:
        line = _configuration_problem(error)
        if line is None:
            raise
        if os.environ.get("QUILLPRESS_LOG_LEVEL", "").strip().upper() == "DEBUG":
            import traceback

            typer.echo("".join(traceback.format_exception(error)).rstrip(), err=True)
        typer.echo(f"Error: {line}", err=True)
        raise typer.Exit(code=CONFIGURATION_ERROR) from None


def _configuration_problem(error: Exception) -> str | None:
    """The one line for a configuration error, ``None`` for anything else. Neither kind
    can be raised before ``quillpress.config`` (and with it pydantic) is loaded, so a
    command that never loads it pays nothing for the check."""
    config = sys.modules.get("quillpress.config")
    if config is None:
        return None
    from pydantic import ValidationError

    if isinstance(error, config.ConfigurationError):
        return str(error)
    if isinstance(error, ValidationError) and error.title == config.Settings.__name__:
        return str(config.describe_validation_error(error))
    return None  # not a setting: some other model's invalid data is a bug, not config


@contextmanager
def reporting_usage_errors() -> Iterator[None]:
    """A wrong option or argument (``--port abc``, ``--port 70000``, an unknown option) in
    one line on stderr, exit status 2, like the configuration errors above, instead of the
    usage text and a framed panel."""
    try:
        yield
    except NoArgsIsHelpError:
        raise  # not an error: the help is what was asked for
    except UsageError as error:
        where = f" (see {error.ctx.command_path} --help)" if error.ctx is not None else ""
        typer.echo(f"Error: {error.format_message().rstrip('.')}{where}", err=True)
        raise typer.Exit(code=CONFIGURATION_ERROR) from None


def fail(message: str, code: int = FAILURE) -> NoReturn:
    """End the command with ``Error: message`` on stderr and exit status ``code``."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code=code)
