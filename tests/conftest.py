"""Shared fixtures: an organisation tree and staff users with roles."""

import pytest
from hypothesis import settings as hypothesis_settings

from robinet.organisation.models import EntityKind
from robinet.organisation.roles import Role
from robinet.organisation.services import entity_create, role_grant

# Shared 2-core CI machines: a first example that builds a cache can take longer than
# hypothesis' 200 ms deadline; a slow example is not a failure here (speed is benched).
hypothesis_settings.register_profile("robinet", deadline=None)
hypothesis_settings.load_profile("robinet")


@pytest.fixture(autouse=True)
def reporting_snapshots_of_this_test(settings, tmp_path):
    """Each test its own reporting-snapshot folder: a snapshot one test (or the demo) takes
    is never read by the next one's reports (decision 0011)."""
    settings.ROBINET_REPORTING_SNAPSHOT_DIR = tmp_path / "reporting"


@pytest.fixture
def org(db):
    """One region, two agencies, four centres (two per agency)."""
    region = entity_create(kind=EntityKind.REGION, code="DR-TEST", name="Direction régionale Test")
    agencies, centres = [], []
    for a in (1, 2):
        agency = entity_create(
            kind=EntityKind.AGENCY, code=f"AG{a}", name=f"Agence {a}", parent=region
        )
        agencies.append(agency)
        for c in (1, 2):
            centres.append(
                entity_create(
                    kind=EntityKind.CENTRE, code=f"CT{a}{c}", name=f"Centre {a}.{c}", parent=agency
                )
            )

    class Org:
        pass

    tree = Org()
    tree.region, tree.agencies, tree.centres = region, agencies, centres
    return tree


@pytest.fixture
def make_user(db, django_user_model):
    def make(username: str, role: str | None = None, entity=None, **extra):
        user = django_user_model.objects.create_user(
            username=username, password="pw-" + username, **extra
        )
        if role:
            role_grant(actor=None, user=user, role=role, entity=entity)
        return user

    return make


@pytest.fixture
def officer(org, make_user):
    """A customer officer on the first centre only."""
    return make_user("officer", Role.CUSTOMER_OFFICER, org.centres[0])


@pytest.fixture
def manager(org, make_user):
    """A manager on the whole region."""
    return make_user("manager", Role.MANAGER, org.region)
