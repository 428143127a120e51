"""The moderation console at /admin: server-rendered pages over the same use cases and
policy as the REST and GraphQL adapters."""
