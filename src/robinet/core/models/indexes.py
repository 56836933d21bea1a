"""Indexes whose kind depends on the database."""

from django.db import models


class BlockRangeIndex(models.Index):
    """A BRIN index on PostgreSQL, a B-tree elsewhere.

    For a column that grows with the order rows are written in (the date of an
    append-only row): a BRIN index keeps one summary per range of pages, so a
    bulk insert costs it almost nothing, and a range of dates still reads only
    the pages that hold it. SQLite has no such index.
    """

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            using = " USING brin"
        return super().create_sql(model, schema_editor, using=using, **kwargs)
