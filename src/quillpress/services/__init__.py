"""Use cases: ``async def f(uow, principal, command) -> view``.

Each opens its own unit of work, applies the business rules and the policy, commits
once, and raises only domain errors. REST and GraphQL both call these and nothing else."""
