"""The Typer application every command module adds to (``cli/__init__.py`` lists the
tree), with the two things all commands share: flags shown as flags in the help, and the
failure rules of ``cli.failures`` around every command and sub-command."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup

from quillpress import __version__
from quillpress.cli.failures import reporting_configuration_errors, reporting_usage_errors

F = TypeVar("F", bound=Callable[..., Any])


def _flags_as_flags(params: list[Any]) -> list[Any]:
    """Typer's help shows a boolean flag with a ``<bool>`` value it does not take
    (``--reload <bool>``); an empty metavar shows it as the bare flag it is."""
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


class Command(TyperCommand):
    """Every command: its flags shown as flags."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _flags_as_flags(super().get_params(ctx))


class Group(TyperGroup):
    """Every group (``db``, ``audit``…): its flags shown as flags."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _flags_as_flags(super().get_params(ctx))


class _Commands(Group):
    """The root group: every command and sub-command runs inside it, so the error rules
    are written once and hold for all of them."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:  # the root's own options
        with reporting_usage_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:  # a typer.Context; its base class is vendored
        with reporting_usage_errors(), reporting_configuration_errors():
            return super().invoke(ctx)


app = typer.Typer(
    cls=_Commands,
    help="Quillpress: a RealWorld-compatible blogging backend.",
    no_args_is_help=True,
    add_completion=False,
)


def commands(help: str | None = None, **options: Any) -> typer.Typer:
    """A command group (``db``, with its ``help``), or, added to ``app`` without a name,
    the top-level commands of one module."""
    return typer.Typer(cls=Group, help=help, **options)


def command(group: typer.Typer, name: str | None = None) -> Callable[[F], F]:
    """``@group.command()``, with flags shown as flags."""
    return group.command(name, cls=Command)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"quillpress {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Options of the command itself (the group's help text is set on ``app``)."""
