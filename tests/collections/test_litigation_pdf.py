"""The order-for-payment bundle (COLL-9): one PDF, request + statement + invoices + notice."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from robinet.collections import litigation as lit
from robinet.collections.litigation_pdf import bundle_pdf
from tests.collections import notice_factories
from tests.collections.conftest import TODAY, bill

pytestmark = pytest.mark.django_db


def test_coll9_bundle_holds_request_statement_invoices_and_formal_notice(
    procedures, household, collector
):
    party = household.party
    party.birth_date, party.birth_place = dt.date(1975, 2, 3), "Quimper"
    party.save()
    first = bill(household, issued=TODAY - dt.timedelta(days=120), amount="300.00")
    second = bill(household, issued=TODAY - dt.timedelta(days=90), amount="250.00")
    notice = notice_factories.notice(household, level=2, on=TODAY - dt.timedelta(days=20))
    file = lit.litigation_open(household, actor=collector)
    lit.litigation_cost_add(file, "bailiff", Decimal("45.00"), collector)
    data, name = bundle_pdf(file)
    assert name == f"injonction-de-payer-{file.number}.pdf"
    reader = PdfReader(io.BytesIO(data))
    # request + statement/proofs, then one page per invoice at least, then the letter
    assert len(reader.pages) >= 5
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "REQUÊTE EN INJONCTION DE PAYER" in text
    assert "03/02/1975" in text
    assert "Quimper" in text
    assert "DÉCOMPTE DE LA CRÉANCE" in text
    assert first.number in text
    assert second.number in text
    assert notice.number in text
    assert "45,00" in text
    assert "Mise en demeure" in text or "MISE EN DEMEURE" in text
