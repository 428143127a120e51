"""Use cases: ``async def f(db, principal, command) -> view``.

``db`` is the opaque handle the adapters hold (``infra.resources.Store``). Each use case
opens it (``opened(db).write()``) for its own transaction or read connection, applies the
business rules and the policy, commits once, and raises only domain errors. REST and
GraphQL both call these and nothing else."""
