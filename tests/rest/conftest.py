"""Fixtures of the REST tests beyond the shared ones: a PostgreSQL database of the test's
own, for the outage tests (tests/outages.py)."""

from tests.outages import outage_template, own_database

__all__ = ["outage_template", "own_database"]
