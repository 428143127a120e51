"""Tables, engine, unit of work and migrations. Only repositories speak SQL through this."""
