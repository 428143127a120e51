"""Shared vocabulary of every layer: errors, principal and policy, commands, views.

Imports no web, GraphQL or SQL code (an import-linter contract keeps it so)."""
