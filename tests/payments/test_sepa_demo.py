"""The SEPA demo seeds real mandates and a past, schema-valid collection file (PAY-3)."""

import pytest

from robinet.customers.models import CustomerAccount
from robinet.demo import sepa as demo
from robinet.payments import pain008
from robinet.payments.models import DirectDebitRun, Mandate, SequenceType
from tests.payments.conftest import TODAY

IBAN = "FR1420041010050500013M02606"


@pytest.mark.django_db
def test_pay_3_demo_mandates_and_a_past_collection_file(billed):
    CustomerAccount.objects.filter(pk=billed.pk).update(direct_debit=True, iban=IBAN)
    counts = demo.seed_demo(TODAY)
    assert counts["sepa_mandates"] == 1
    assert counts["sepa_runs"] == 1
    run = DirectDebitRun.objects.get()
    assert run.collection_date < TODAY
    assert counts["sepa_debits"] == run.item_count > 0
    pain008.validate(bytes(run.file_content), run.version)
    assert Mandate.objects.get().sequence == SequenceType.RECURRING
    again = demo.seed_demo(TODAY)  # idempotent
    assert (again["sepa_mandates"], again["sepa_runs"]) == (0, 0)
