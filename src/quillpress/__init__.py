"""Quillpress: a RealWorld-compatible blogging backend (REST and GraphQL over one service layer)."""

__version__ = "0.1.0"
