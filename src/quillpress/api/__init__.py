"""Adapters: REST (``api.rest``) and GraphQL (``api.graphql``) over the same use cases."""
