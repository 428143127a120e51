"""What startup leaves behind is frozen out of the garbage collector while the app runs."""

from __future__ import annotations

import gc

from asgi_lifespan import LifespanManager

from quillpress.app import create_app
from quillpress.config import Settings


async def test_startup_objects_are_frozen_while_serving_and_released_after(
    settings: Settings,
) -> None:
    """A full collection under load walked every startup object (~160 ms pauses);
    frozen, it walks only what requests allocate. Shutdown unfreezes, so an app built
    again in the same process (tests) does not pin the previous one."""
    application = create_app(settings.model_copy(update={"gc_freeze": True}))
    async with LifespanManager(application, startup_timeout=30, shutdown_timeout=30):
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0


async def test_the_freeze_is_a_setting(settings: Settings) -> None:
    application = create_app(settings.model_copy(update={"gc_freeze": False}))
    async with LifespanManager(application, startup_timeout=30, shutdown_timeout=30):
        assert gc.get_freeze_count() == 0
