"""The GraphQL adapter (graphql-core, code-first): thin resolvers over the same use cases
as REST, DataLoaders for the edges REST does not have, protections against abusive queries."""
