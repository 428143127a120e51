"""Tables, engine, the database handle and migrations. Only repositories speak SQL through this."""
