"""``robinet demo``: data, users with roles, credentials on the console (ORG-2)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from robinet.customers.models import CustomerAccount
from robinet.demo.users import DEMO_PASSWORD, DEMO_USERS
from robinet.metering.models import Reading
from robinet.organisation.models import RoleAssignment, User
from robinet.organisation.roles import Role
from tests.customers import factories


def _demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", "--no-serve", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_demo_generates_data_users_and_prints_credentials(client):
    output = _demo("--customers", "60")
    assert CustomerAccount.objects.count() == 60
    assert "http://127.0.0.1:8000" in output
    assert DEMO_PASSWORD in output
    assert "Comptes clients" in output
    for spec in DEMO_USERS:
        assert spec.username in output
        user = User.objects.get(username=spec.username)
        assert user.check_password(DEMO_PASSWORD)
        assert RoleAssignment.objects.filter(user=user, role=spec.role).count() == 1
    # One user per role.
    assert {spec.role for spec in DEMO_USERS} == set(Role.values)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert not User.objects.get(username="gestion").is_staff
    assert client.login(username="gestion", password=DEMO_PASSWORD)
    # PORTAL-1: a dozen customers have a portal login with the same demo password.
    assert "Espace client" in output
    from robinet.portal.models import PortalUser

    portal_user = PortalUser.objects.order_by("email").first()
    assert portal_user.links.exists()
    response = client.post(
        "/espace-client/connexion/", {"email": portal_user.email, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/espace-client/factures/").status_code == 200


@pytest.mark.django_db
def test_demo_generates_readings_by_default():
    output = _demo("--customers", "40")
    assert Reading.objects.count() > 40
    assert "Relevés :" in output


@pytest.mark.django_db
def test_demo_without_readings():
    _demo("--customers", "40", "--no-readings")
    assert CustomerAccount.objects.count() == 40
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_demo_reuses_existing_demo_data():
    _demo("--customers", "30")
    output = _demo("--customers", "500", "--addrport", "0.0.0.0:8123")
    assert "réutilisées" in output
    assert CustomerAccount.objects.count() == 30
    assert "http://127.0.0.1:8123" in output
    assert RoleAssignment.objects.filter(user__username="gestion").count() == 1


@pytest.mark.django_db
def test_demo_refuses_a_database_with_other_customers(org):
    factories.person(org.centres[0])
    with pytest.raises(CommandError, match="ne viennent pas de la démonstration"):
        _demo("--customers", "10")


@pytest.mark.django_db
def test_demo_reset_refused_outside_var_without_force():
    # The test database is neither the SQLite file of var/ nor disposable.
    with pytest.raises(CommandError, match="--force"):
        _demo("--reset", "--customers", "10")
    assert not CustomerAccount.objects.exists()
