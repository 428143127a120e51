"""Use cases: ``async def f(db, principal, command) -> view``.

Each opens its own transaction (``db.write()``) or read connection, applies the
business rules and the policy, commits once, and raises only domain errors. REST and
GraphQL both call these and nothing else."""
