"""The only code that holds a database connection.

A backend owns the connection, its parameter style, the helper tables an
evaluation needs (business calendars, period labels) and bulk loading. SQL is
composed elsewhere, without touching a database, as :class:`Statement` objects
in one neutral dialect (SQLite's, with ``:name`` parameters); each backend
renders them for its own engine.
"""

from __future__ import annotations

from .base import Backend, HelperTable
from .statement import Sql, Statement

__all__ = ["Backend", "HelperTable", "Sql", "Statement"]
