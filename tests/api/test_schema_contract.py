"""The JSON API keeps its contract under hostile input, whoever calls it (issue 13, API-1, API-3, ORG-2).

Every operation of ``/api/v1/`` is generated from the OpenAPI schema the API publishes
(schemathesis: valid and invalid parameters and bodies) and sent, for each example, with
the token of one of an administrator, a billing officer, a collection officer and the
external collection agency, then with no token, to a small demo utility. Whatever the input and the
role: never a server error, a status code the schema documents and a body that matches
it — an error is always the house shape ``{"code", "message", "extra": {"fields"}}``.

Half of the examples use identifiers that exist (read from the data), so the operations
are reached beyond their 404.
"""

import datetime as dt
import inspect
import json
import re
import sys

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from ninja import Schema
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from robinet.api.urls import api
from robinet.core import clock
from robinet.organisation.services import api_token_create

PREFIX = "/api/v1"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The roles the examples are drawn from (demo users, see robinet.demo.users): administrator,
# billing officer, collection officer, external collection agency. Each example is also sent
# with no token (401).
ROLES = ("admin", "facturation", "recouvrement", "agence", None)

# Operations left out, with the reason (none: every operation is checked).
EXCLUDED: dict[tuple[str, str], str] = {}

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()


@pytest.fixture(scope="module")
def utility(django_db_setup, django_db_blocker, tmp_path_factory):
    """A demo utility of 12 customers, billed, paid and collected, rolled back at the end."""
    from robinet.demo import (
        agencies,
        bank,
        billing,
        cases,
        cashdesk,
        collections,
        litigation,
        returns,
        sepa,
        vouchers,
        worklist,
        writeoffs,
    )
    from robinet.demo.generator import generate
    from robinet.demo.payments import seed_payments
    from robinet.demo.users import ensure_demo_users

    folder = tmp_path_factory.mktemp("demo")
    mp = pytest.MonkeyPatch()
    mp.setattr(bank, "VAR_DIR", folder)
    mp.setattr(returns, "VAR_DIR", folder)
    # Marked as a test case's block, as Django's TestCase does, so that the durable blocks of
    # the billing runs nest in it.
    block = transaction.atomic()
    block._from_testcase = True
    with django_db_blocker.unblock(), block:
        # Yesterday: nothing the demo dates "today" is later than the requests' clock.
        today = clock.today() - dt.timedelta(days=1)
        generate(customers=12, seed=13, today=today, readings=True)
        billing.bill(today=today)
        seed_payments(today)
        users = {spec.username: spec for spec, _entity in ensure_demo_users()}
        for seed in (cashdesk, sepa, returns, bank, vouchers, collections, agencies):
            seed.seed_demo(today)
        for seed in (litigation, writeoffs, worklist):
            seed.seed_demo(today)
        cases.seed_demo(today, count=40)
        from robinet.organisation.models import User

        tokens = {
            name: api_token_create(user=User.objects.get(username=name))
            for name in ROLES
            if name in users
        }
        tokens[None] = None
        yield tokens, known_identifiers()
        transaction.set_rollback(True)
    mp.undo()


def known_identifiers() -> dict[str, dict[str, str]]:
    """For each path template, existing values of its parameters (what the fuzzer cannot guess)."""
    from django.test import Client

    from robinet.customers.models import Contract, CustomerAccount, Meter, ServicePoint
    from robinet.organisation.models import User
    from robinet.pes.models import Title

    account = CustomerAccount.objects.filter(invoices__isnull=False).order_by("pk").first()
    by_name = {
        "/customers/{number}": account.number,
        "/accounts/{number}": account.number,
        "/collections/accounts/{number}": account.number,
        "/service-points/{reference}": ServicePoint.objects.order_by("pk").first().reference,
        "/meters/{serial}": Meter.objects.order_by("pk").first().serial,
        "/contracts/{number}": Contract.objects.order_by("pk").first().number,
        "/tariffs/{code}": None,
        "/pes/titles/{number}": getattr(Title.objects.order_by("pk").first(), "number", None),
    }
    client = Client()
    headers = {
        "Authorization": f"Bearer {api_token_create(user=User.objects.get(username='admin'))}"
    }
    found: dict[str, dict[str, str]] = {}
    for path in api.get_openapi_schema()["paths"]:
        path = path.removeprefix(PREFIX)
        values: dict[str, str] = {}
        for match in re.finditer(r"\{(\w+)\}", path):
            head = path[: match.start()].rstrip("/")
            template = path[: match.end()]
            value = by_name.get(template)
            if value is None:
                value = _first_listed(client, headers, head, match.group(1), values)
            if value is not None:
                values[match.group(1)] = str(value)
        if values:
            found[path] = values
    return found


def _first_listed(client, headers, head, name, values):
    """The ``name`` (or id) of the first item the list at ``head`` answers."""
    for key, value in values.items():
        head = head.replace("{" + key + "}", value)
    if "{" in head:
        return None
    response = client.get(PREFIX + head, headers=headers)
    if response.status_code != 200 or not response.get("Content-Type", "").startswith(
        "application/json"
    ):
        return None
    body = response.json()
    items = body.get("items", body.get("results")) if isinstance(body, dict) else body
    if not items or not isinstance(items, list) or not isinstance(items[0], dict):
        return None
    item = items[0]
    for key in (name, "id", "pk", "number", "code", "reference"):
        if key in item:
            return item[key]
    return None


@pytest.fixture
def seeded(utility, db):
    """The utility, with the connection kept open across requests as Django's test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield utility
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@schema.given(role=st.sampled_from(ROLES[:-1]), known=st.booleans())
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_contract_for_every_role(case, role, known, seeded):
    """Issue 13: any input, any role — no 5xx, documented status, body as declared."""
    tokens, identifiers = seeded
    if (case.method.upper(), case.path) in EXCLUDED:
        pytest.skip(EXCLUDED[(case.method.upper(), case.path)])
    if known:
        existing = identifiers.get(case.path.removeprefix(PREFIX), {})
        case.path_parameters = {**(case.path_parameters or {}), **existing}
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    for token in (tokens[role], None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
        if response.status_code >= 400:
            assert set(response.json()) == {"code", "message", "extra"}, response.content
        if token is None:
            assert response.status_code == 401, response.content


def test_the_contract_covers_every_operation():
    """Issue 13: the run above reaches all operations, minus the listed exclusions."""
    operations = {
        (method.upper(), path)
        for path, methods in api.get_openapi_schema()["paths"].items()
        for method in methods
    }
    assert len(operations) > 150
    assert set(EXCLUDED) <= operations
    loaded = [result.ok() for result in schema.get_all_operations()]  # Err has no .ok: fails
    assert {(o.method.upper(), o.path) for o in loaded} == operations


def test_no_two_api_schemas_share_a_name():
    """Issue 13: the OpenAPI components are named after the classes, the last one of a name wins.

    Two different schemas of one name would publish one of them for both (a plan's
    instalments documented as a budget plan's): each name is one schema.
    """
    by_name: dict[str, dict[str, str]] = {}
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("robinet."):
            continue
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, Schema)
                and value.__module__ == module_name
            ):
                shape = json.dumps(value.model_json_schema(mode="serialization"), sort_keys=True)
                by_name.setdefault(name, {})[module_name] = shape
    assert len(by_name) > 100
    clashes = {name: sorted(m) for name, m in by_name.items() if len(set(m.values())) > 1}
    assert clashes == {}
