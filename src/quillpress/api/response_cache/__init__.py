"""The response cache in front of the adapters (see ``layer``): which requests and keys
(``requests``), what is stored and a viewer's copy of it (``answers``)."""

from quillpress.api.response_cache.layer import ResponseCache, resources_of_app

__all__ = ["ResponseCache", "resources_of_app"]
