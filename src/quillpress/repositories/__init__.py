"""All SQL lives here. Repositories never commit: the use case owns the transaction.

Reads are shaped for pages: to-one data joins into the page query, to-many data (tags)
comes batched (``listings.tags_many``), and GraphQL's nested edges read many parents'
pages in one statement (``batches``), so a page costs one statement per concern."""
