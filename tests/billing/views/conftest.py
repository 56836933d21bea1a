import datetime as dt

import pytest

from robinet.billing import views
from robinet.billing.models import HeldBill
from robinet.core.models import BatchRun
from robinet.organisation.roles import Role
from tests.backoffice.conftest import agency_user, auditor, company, person, web  # noqa: F401
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.metering.factories import read


@pytest.fixture
def billing_officer(org, make_user):
    """A billing officer on the first centre (runs, held bills, credit notes)."""
    return make_user("facturation", Role.BILLING_OFFICER, org.centres[0])


@pytest.fixture
def due(org, tariff):
    """Two customers with a reading to bill, one of them far above the threshold (held)."""
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    read(sp, dt.date(2025, 6, 20), "160")
    big, big_sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    read(big_sp, dt.date(2025, 6, 20), "5100")
    return account, big


def run_now(run_pk, user_pk):
    """A run started from a page, executed in the request's thread instead of its own."""
    from django.contrib.auth import get_user_model

    from robinet.billing import services
    from robinet.core.runs import InProcessExecutor

    services.billing_run_execute(
        actor=get_user_model().objects.get(pk=user_pk),
        run=BatchRun.objects.get(pk=run_pk),
        executor=InProcessExecutor(),
    )


@pytest.fixture
def synchronous(monkeypatch):
    """Run the billing in the request's thread (the page's background thread, made testable)."""
    monkeypatch.setattr(views.RunCreateView, "start", staticmethod(run_now))
    monkeypatch.setattr(views.RunRenderView, "start", staticmethod(run_now))


@pytest.fixture
def held(due):
    """The held bill of ``due``'s big consumer, after a run."""
    factories.run(dt.date(2025, 6, 30))
    return HeldBill.objects.get(account=due[1])
