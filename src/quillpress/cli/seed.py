"""``quillpress seed``: deterministic demo data in an empty database, and the summary
line it ends with (``serve --demo`` prints the same one)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from quillpress.cli.failures import fail
from quillpress.cli.root import command, commands
from quillpress.cli.runtime import database, load_settings, run
from quillpress.seeding import plan as demo_plan

if TYPE_CHECKING:
    from quillpress.config import Settings
    from quillpress.seeding import seed as seed_service

top_level = commands()


def seeded(summary: seed_service.SeedSummary, *notes: str) -> str:
    """``Seeded 50 users, 500 articles, … (every demo user's password is "…")``."""
    from quillpress.seeding import seed as seed_service

    counts = ", ".join(f"{count} {name}" for name, count in summary.counts.items())
    password = f'every demo user\'s password is "{seed_service.DEMO_PASSWORD}"'
    return f"Seeded {counts} ({'; '.join((*notes, password))})"


async def _seed(
    settings: Settings, plan: demo_plan.SeedPlan, progress: seed_service.Progress
) -> seed_service.SeedSummary:
    from quillpress.db import migrate
    from quillpress.infra.passwords import PasswordHasher
    from quillpress.seeding import seed as seed_service

    async with database(settings) as db:
        await migrate.upgrade(db.engine)
        hasher = PasswordHasher.from_settings(settings)
        return await seed_service.seed_demo(db, hasher, plan, progress)


@command(top_level, "seed")
def seed_command(
    users: Annotated[int, typer.Option(help="Demo users to create.", metavar="N", min=1)] = 50,
    articles: Annotated[
        int, typer.Option(help="Demo articles to create.", metavar="N", min=0)
    ] = 500,
    seed_value: Annotated[
        int, typer.Option("--seed", help="Random seed (same seed, same data).", metavar="N")
    ] = 42,
    tags: Annotated[
        int,
        typer.Option(help="Tag pool size.", metavar="N", min=1, max=demo_plan.MAX_TAGS),
    ] = demo_plan.DEFAULT_TAGS,
) -> None:
    """Fill an empty database with deterministic demo data.

    The database is migrated first; the same --seed always gives the same data.
    Every demo user signs in with the password "password123".
    Avatar URLs start with QUILLPRESS_PUBLIC_URL (or http://127.0.0.1:8000).
    The benchmarks seed with --tags 300."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from quillpress.domain.errors import DomainError

    settings = load_settings(database=True)
    plan = demo_plan.SeedPlan(
        users=users,
        articles=articles,
        seed=seed_value,
        tags=tags,
        public_url=settings.public_url or demo_plan.LOCAL_URL,
    )
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description:<13}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        # Hidden until the first rows are written, so a refusal prints no empty bar.
        task = bar.add_task("", total=None, visible=False)

        def report(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total, visible=True)

        try:
            summary = run(_seed(settings, plan, report))
        except DomainError as error:
            bar.stop()
            fail(f"refusing to seed: {error.describe()}")
    typer.echo(seeded(summary, f"seed {seed_value}"))
