"""`column IN (values)` for a page's worth of keys, sent as one array parameter on PostgreSQL.

An IN list of a page's keys is hundreds of bind parameters: the driver rewrites the statement's text
for each (it caches only short statements), and PostgreSQL parses and plans a new statement every
time. `= ANY(array)` is one parameter and one statement text, planned as the same index lookup.
SQLite, in-process, keeps the plain IN list.
"""
from typing import Iterable

from sqlalchemy import ColumnElement, Connection, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY


def among(connection: Connection, column: ColumnElement, values: Iterable) -> ColumnElement:
    """The condition that `column` is one of `values`."""
    values = list(values)
    if connection.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)
