"""ORG-1, ORG-2: the entity tree and role scoping."""

import pytest

from robinet.core.exceptions import PermissionDenied
from robinet.organisation.access import require, scope_for
from robinet.organisation.models import Entity
from robinet.organisation.roles import Perm


def test_org1_tree_paths_nest(org):
    centre = org.centres[3]
    assert centre.path.startswith(org.agencies[1].path)
    assert centre.path.startswith(org.region.path)
    assert Entity.objects.filter(path__startswith=org.region.path).count() == 7


def test_org2_centre_officer_scope_is_own_centre(officer, org):
    scope = scope_for(officer)
    assert scope.covers(Perm.CUSTOMER_VIEW, org.centres[0])
    assert not scope.covers(Perm.CUSTOMER_VIEW, org.centres[1])
    assert scope.centre_ids(Perm.CUSTOMER_VIEW) == [org.centres[0].pk]


def test_org2_manager_on_region_covers_every_centre(manager, org):
    scope = scope_for(manager)
    assert all(scope.covers(Perm.CUSTOMER_VIEW, c) for c in org.centres)


def test_org2_denial_is_explicit(officer, org):
    with pytest.raises(PermissionDenied):
        require(officer, Perm.CUSTOMER_VIEW, org.centres[2])
    with pytest.raises(PermissionDenied):
        require(officer, Perm.ORG_MANAGE)
