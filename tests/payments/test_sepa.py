"""PAY-3: SEPA mandates and direct-debit collection files (pain.008)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from lxml import etree

from robinet.core.exceptions import (
    ApplicationError,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from robinet.core.models.append_only import AppendOnlyViolation
from robinet.core.models.runs import RunState
from robinet.customers.models import CustomerAccount
from robinet.ledger.models import OpenItem
from robinet.organisation.roles import Role
from robinet.payments import pain008, sepa, target2
from robinet.payments.models import (
    DirectDebitItem,
    DirectDebitRun,
    Mandate,
    MandateStatus,
    Payment,
    PaymentMeans,
    SequenceType,
)

NS08 = {"p": pain008.namespace("001.08")}
IBAN = "FR1420041010050500013M02606"
OTHER_IBAN = "FR7630006000011234567890189"
COLLECT_ON = dt.date(2026, 2, 17)  # a Tuesday; "today" is Sunday 15 February 2026


def _invoices(account):
    return list(account.invoices.order_by("due_date", "pk"))


def _mandate(account, **kwargs):
    return sepa.mandate_create(
        actor=None,
        account=account,
        signed_on=dt.date(2025, 1, 10),
        iban=kwargs.pop("iban", IBAN),
        check_permission=False,
        **kwargs,
    )


def _xml(run):
    content = bytes(run.file_content)
    pain008.validate(content, run.version)  # PAY-3: valid against the ISO 20022 XSD
    return etree.fromstring(content)


@pytest.fixture
def collector(org, make_user):
    return make_user("prelevements", Role.COLLECTION_OFFICER, org.region)


# --- creditor identifier, TARGET2 calendar (pure) ---------------------------------------------


def test_pay_3_creditor_identifier_checked_with_its_check_digits():
    assert sepa.clean_creditor_id("FR72 ZZZ 123456") == "FR72ZZZ123456"
    with pytest.raises(ValidationFailed) as error:
        sepa.clean_creditor_id("FR12ZZZ123456")
    assert "creditor_id" in error.value.fields


def test_pay_3_target2_calendar_is_not_the_french_public_holiday_calendar():
    assert target2.is_business_day(dt.date(2026, 7, 14))  # Fête nationale: banks settle
    assert target2.is_business_day(dt.date(2026, 8, 15)) is False  # a Saturday
    assert not target2.is_business_day(dt.date(2026, 4, 3))  # Good Friday
    assert not target2.is_business_day(dt.date(2026, 4, 6))  # Easter Monday
    assert not target2.is_business_day(dt.date(2026, 12, 26))
    assert target2.next_business_day(dt.date(2026, 4, 3)) == dt.date(2026, 4, 7)


@pytest.mark.parametrize(
    "day",
    [dt.date(2026, 4, 3), dt.date(2026, 2, 21), dt.date(2026, 2, 16)],
    ids=["good-friday", "saturday", "not-one-business-day-ahead"],
)
def test_pay_3_collection_date_refused_off_target2_or_too_soon(billed, collector, day):
    _mandate(billed)
    with pytest.raises(ValidationFailed) as error:
        sepa.debit_run_create(actor=collector, collection_date=day)
    assert "collection_date" in error.value.fields
    assert not DirectDebitRun.objects.exists()
    assert not Payment.objects.exists()


# --- mandates -----------------------------------------------------------------------------------


def test_pay_3_mandate_snapshots_iban_and_turns_direct_debit_on(billed):
    mandate = _mandate(billed)
    billed.refresh_from_db()
    assert billed.direct_debit
    assert mandate.iban == IBAN
    assert mandate.umr == f"RUM-{billed.number}-01"
    assert mandate.sequence == SequenceType.FIRST
    assert mandate.creditor_id == "FR72ZZZ123456"


def test_pay_3_mandate_invalid_iban_names_the_field(billed):
    with pytest.raises(ValidationFailed) as error:
        _mandate(billed, iban="FR7630006000011234567890188")
    assert "iban" in error.value.fields
    assert not Mandate.objects.exists()


def test_pay_3_one_active_mandate_per_account_service_and_database(billed):
    mandate = _mandate(billed)
    with pytest.raises(ValidationFailed):
        _mandate(billed, umr="OTHER-UMR")
    with pytest.raises(IntegrityError), transaction.atomic():
        Mandate.objects.create(
            umr="DIRECT", account=billed, debtor_name="x", iban=IBAN,
            signed_on=mandate.signed_on, creditor_id=mandate.creditor_id,
            created_at=mandate.created_at,
        )  # fmt: skip


def test_pay_3_mandate_needs_customer_change_on_the_centre(billed, org, make_user):
    elsewhere = make_user("ailleurs", Role.CUSTOMER_OFFICER, org.centres[3])
    with pytest.raises(PermissionDenied):
        sepa.mandate_create(actor=elsewhere, account=billed, signed_on=dt.date(2025, 1, 1))


def test_pay_3_amendments_are_append_only_rows(billed):
    mandate = _mandate(billed)
    (amendment,) = sepa.mandate_amend(
        actor=None, mandate=mandate, debtor_name="Nouveau Titulaire", check_permission=False
    )
    assert amendment.old_value != amendment.new_value == "Nouveau Titulaire"
    with pytest.raises(AppendOnlyViolation):
        amendment.save()


# --- collection runs ----------------------------------------------------------------------------


def test_pay_3_run_collects_due_invoices_books_direct_debits_and_writes_a_valid_file(
    billed, collector
):
    first, second = _invoices(billed)
    mandate = _mandate(billed)
    run = sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON)
    assert run.item_count == 2
    assert run.total == first.total_incl_vat + second.total_incl_vat
    root = _xml(run)
    assert root.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS08) == "2"
    assert root.findtext(".//p:ReqdColltnDt", namespaces=NS08) == "2026-02-17"
    assert (
        root.findtext(".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=NS08)
        == "FR72ZZZ123456"
    )
    # Structured debtor address (town and country at least), never only address lines.
    address = root.find(".//p:Dbtr/p:PstlAdr", namespaces=NS08)
    assert address.findtext("p:TwnNm", namespaces=NS08)
    assert address.find("p:AdrLine", namespaces=NS08) is None
    # Booked as direct-debit payments, found back by their end-to-end id (PAY-4 contract).
    for invoice in (first, second):
        e2e = sepa.end_to_end_id(invoice.number, COLLECT_ON)
        payment = Payment.objects.get(means=PaymentMeans.DIRECT_DEBIT, external_reference=e2e)
        assert payment.received_on == COLLECT_ON
        assert payment.invoice_id == invoice.pk
        assert payment.payer_reference == mandate.umr
        assert OpenItem.objects.get(invoice=invoice).open_amount == 0
    mandate.refresh_from_db()
    assert mandate.sequence == SequenceType.RECURRING
    assert mandate.last_collected_on == COLLECT_ON


def test_pay_3_first_collection_is_frst_then_rcur_and_prenotice_is_respected(billed, collector):
    first, second = _invoices(billed)
    _mandate(billed)
    # 60 days' notice: only the first invoice (issued in July) was notified early enough.
    run = sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON, prenotice=60)
    (item,) = run.items.all()
    assert (item.invoice_id, item.sequence) == (first.pk, SequenceType.FIRST)
    assert _xml(run).findtext(".//p:SeqTp", namespaces=NS08) == "FRST"
    later = sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON + dt.timedelta(1))
    (item,) = later.items.all()
    assert (item.invoice_id, item.sequence) == (second.pk, SequenceType.RECURRING)
    root = _xml(later)
    assert [s.text for s in root.iterfind(".//p:SeqTp", namespaces=NS08)] == ["RCUR"]


@pytest.mark.parametrize(("extra_days", "collected"), [(0, True), (1, False)])
def test_pay_3_prenotification_days_are_a_setting_and_a_boundary(
    billed, collector, settings, extra_days, collected
):
    """An invoice is collected only if issued (= notified) at least N days before (14 default)."""
    _first, second = _invoices(billed)
    _mandate(billed)
    settings.ROBINET_SEPA_PRENOTICE_DAYS = (COLLECT_ON - second.issue_date).days + extra_days
    run = sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON)
    assert (second.pk in set(run.items.values_list("invoice_id", flat=True))) is collected


def test_pay_3_default_prenotice_is_14_days():
    assert sepa.prenotice_days() == 14


def test_pay_3_no_mandate_no_collection(billed, collector):
    with pytest.raises(ApplicationError) as error:
        sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON)
    assert error.value.code == "nothing_to_collect"
    assert not DirectDebitRun.objects.exists()


def test_pay_3_monthly_payment_flag_alone_does_not_exclude_invoices(billed, collector):
    """BILL-10: only the bills a live plan covers are left out (see test_sepa_instalments)."""
    _mandate(billed)
    CustomerAccount.objects.filter(pk=billed.pk).update(monthly_payment=True)
    run = sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON)
    assert run.item_count == 2


def test_pay_3_revoked_mandate_no_collection(billed, collector):
    mandate = _mandate(billed)
    sepa.mandate_revoke(
        actor=None, mandate=mandate, reason="Demande du client", check_permission=False
    )
    billed.refresh_from_db()
    assert not billed.direct_debit
    assert Mandate.objects.get().status == MandateStatus.REVOKED
    with pytest.raises(ApplicationError):
        sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON)


def test_pay_3_one_run_per_collection_date_and_each_invoice_collected_once(billed, collector):
    _mandate(billed)
    sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON)
    with pytest.raises(ValidationFailed):
        sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON)
    with pytest.raises(ApplicationError):  # everything already collected
        sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON + dt.timedelta(1))
    assert DirectDebitItem.objects.count() == 2
    assert Payment.objects.count() == 2


def test_pay_3_run_needs_payment_import(billed, officer):
    _mandate(billed)
    with pytest.raises(PermissionDenied):
        sepa.debit_run_create(actor=officer, collection_date=COLLECT_ON)
    assert not Payment.objects.exists()


def test_pay_3_pain_008_001_02_on_request(billed, collector):
    _mandate(billed)
    run = sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON, version="001.02")
    root = _xml(run)
    assert root.tag == "{urn:iso:std:iso:20022:tech:xsd:pain.008.001.02}Document"


def test_pay_3_iban_amendment_reported_on_the_next_collection(billed, collector):
    mandate = _mandate(billed)
    sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON, prenotice=60)
    # Amended after the last collection (the clock is frozen on the 15th, so date it later).
    sepa.mandate_amend(actor=None, mandate=mandate, iban=OTHER_IBAN, check_permission=False)
    Mandate.objects.filter(pk=mandate.pk).update(last_collected_on=dt.date(2026, 2, 14))
    later = sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON + dt.timedelta(1))
    root = _xml(later)
    assert root.findtext(".//p:AmdmntInd", namespaces=NS08) == "true"
    assert root.findtext(".//p:OrgnlDbtrAcct/p:Id/p:IBAN", namespaces=NS08) == IBAN
    assert root.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS08) == OTHER_IBAN
    assert later.items.get().amended


def test_pay_3_invalid_file_is_never_written(billed, collector, monkeypatch):
    """The file is built once every chunk of the run is done: refused by the schema, it is
    not stored, and the run stays running, resumable (its debits are booked and pending).
    Until the chunked runs it was all or nothing: no run, no payment."""
    _mandate(billed)

    def broken(**kwargs):
        raise ApplicationError("Le fichier pain.008.001.08 n'est pas conforme.")

    monkeypatch.setattr(pain008, "build", broken)
    with pytest.raises(ApplicationError):
        sepa.debit_run_create(actor=collector, collection_date=COLLECT_ON)
    run = DirectDebitRun.objects.get()
    assert not run.is_built
    assert bytes(run.file_content) == b""
    assert run.batch_run.state == RunState.RUNNING
    assert "conforme" in run.batch_run.last_error
    with pytest.raises(InvalidTransition):  # not settled before its file is made
        sepa.debit_runs_settle(actor=collector, run=run)
    monkeypatch.undo()
    sepa.debit_run_resume(actor=collector, run=run, wait=True)
    run.refresh_from_db()
    assert run.is_built
    assert run.item_count == 2
    assert Payment.objects.count() == 2
    assert Mandate.objects.get().sequence == SequenceType.RECURRING


def test_pay_3_xsd_rejects_a_tampered_file():
    content = pain008.build(
        message_id="M",
        created_at=dt.datetime(2026, 2, 15, 12, tzinfo=dt.UTC),
        collection_date=COLLECT_ON,
        creditor=pain008.Creditor("Régie", OTHER_IBAN, "", "FR72ZZZ123456"),
        debits=[
            pain008.Debit("E2E", Decimal("1.00"), "FRST", "UMR", dt.date(2025, 1, 1), "A", IBAN)
        ],
    )
    with pytest.raises(ApplicationError):
        pain008.validate(content.replace(b"<PmtMtd>DD</PmtMtd>", b"<PmtMtd>XX</PmtMtd>"), "001.08")


_debit = st.builds(
    pain008.Debit,
    end_to_end_id=st.from_regex(r"[A-Z0-9\-]{1,35}", fullmatch=True),
    amount=st.decimals(min_value="0.01", max_value="999999.99", places=2),
    sequence=st.sampled_from(["FRST", "RCUR"]),
    mandate_id=st.from_regex(r"[A-Za-z0-9+?/\-:().,' ]{1,35}", fullmatch=True).filter(str.strip),
    signed_on=st.dates(dt.date(2009, 11, 1), dt.date(2026, 2, 15)),
    debtor_name=st.text(max_size=120),
    debtor_iban=st.just(IBAN),
    debtor_bic=st.sampled_from(["", "BDFEFRPPCCT"]),
    address=st.none()
    | st.builds(
        pain008.Address,
        st.text(max_size=90),
        st.text(max_size=8),
        st.text(max_size=50),
        st.just("FR"),
    ),
    remittance=st.text(max_size=200),
    original_mandate_id=st.sampled_from(["", "OLD-UMR"]),
    original_iban=st.sampled_from(["", OTHER_IBAN]),
)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    debits=st.lists(_debit, min_size=1, max_size=8), version=st.sampled_from(["001.08", "001.02"])
)
def test_pay_3_any_debits_give_a_schema_valid_file_with_exact_totals(debits, version):
    """Whatever the names, addresses and amounts, the file is XSD-valid and its sums exact."""
    content = pain008.build(
        message_id="PROP",
        created_at=dt.datetime(2026, 2, 15, 12, tzinfo=dt.UTC),
        collection_date=COLLECT_ON,
        creditor=pain008.Creditor(
            "Régie des Eaux — Est", OTHER_IBAN, "BDFEFRPPCCT", "FR72ZZZ123456"
        ),
        debits=debits,
        version=version,
    )
    ns = {"p": pain008.namespace(version)}
    root = etree.fromstring(content)
    total = sum((d.amount for d in debits), Decimal("0.00"))
    assert Decimal(root.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:CtrlSum", namespaces=ns)) == total
    amounts = [Decimal(a.text) for a in root.iterfind(".//p:InstdAmt", namespaces=ns)]
    assert sum(amounts) == total
    assert len(amounts) == len(debits)
    sequences = [s.text for s in root.iterfind(".//p:SeqTp", namespaces=ns)]
    assert sequences == sorted(set(sequences), key=["FRST", "RCUR"].index)


def test_pay_3_mandate_unused_for_36_months_expires(billed, collector):
    assert sepa.expiry_cutoff(dt.date(2026, 2, 15)) == dt.date(2023, 2, 15)
    assert sepa.expiry_cutoff(dt.date(2028, 2, 29)) == dt.date(2025, 2, 28)
    old = _mandate(billed)
    Mandate.objects.filter(pk=old.pk).update(signed_on=dt.date(2023, 2, 14))
    assert sepa.mandates_expire(actor=collector) == 1
    old.refresh_from_db()
    billed.refresh_from_db()
    assert (old.status, old.ended_on) == (MandateStatus.EXPIRED, dt.date(2026, 2, 15))
    assert not billed.direct_debit
    recent = _mandate(billed, umr="RECENT-01")
    Mandate.objects.filter(pk=recent.pk).update(signed_on=dt.date(2023, 2, 15))
    assert sepa.mandates_expire(actor=collector) == 0
