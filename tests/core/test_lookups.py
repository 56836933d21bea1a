"""``__any``: one array parameter on PostgreSQL, ``IN (…)`` elsewhere, nothing for no ids."""

import pytest
from django.db import connection

from robinet.organisation.models import Entity


@pytest.mark.django_db
def test_any_lookup_matches_like_in(org):
    ids = [org.centres[0].pk, org.centres[2].pk]
    assert set(Entity.objects.filter(pk__any=ids)) == set(Entity.objects.filter(pk__in=ids))
    assert set(Entity.objects.filter(parent__any=[org.region.pk])) == set(org.agencies)
    assert not Entity.objects.filter(pk__any=[]).exists()
    sql = str(Entity.objects.filter(pk__any=ids).query)
    assert ("= ANY" in sql) == (connection.vendor == "postgresql")
