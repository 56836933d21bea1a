"""``field__any=ids``: "is one of ``ids``" as one array parameter on PostgreSQL.

Runs filter chunks of thousands of ids; ``__in`` writes one placeholder per
id, and building and parsing such a statement costs more than running it.
On PostgreSQL ``__any`` sends ``= ANY(%s)`` with the list as one array; on
SQLite it is the plain ``IN (…)``. The ids must be integers.
"""

from django.db.models import Field, ForeignObject, Lookup

from robinet.core.bulk import array_parameter


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [int(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = self.rhs
        if not ids:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, array_parameter(ids)]
        return f"{lhs} IN ({', '.join(['%s'] * len(ids))})", [*lhs_params, *ids]


def register() -> None:
    Field.register_lookup(AnyOf)
    ForeignObject.register_lookup(AnyOf)  # foreign keys keep their own lookups
