"""All SQL lives here. Repositories never commit: the use case owns the transaction.

Every relation a page needs is also available batch-shaped (``*_many(ids)``), so a page
costs one statement per concern whatever its size."""
