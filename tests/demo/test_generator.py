"""The demo generator: deterministic, realistic, and consistent with every rule of the customer file.

Runs on SQLite (``executemany``) and on PostgreSQL (``COPY`` from a writer
thread): set ``ROBINET_TEST_DATABASE_URL``.
"""

import datetime as dt
from collections import Counter

import phonenumbers
import pytest
from django.db import connection
from django.test import TestCase
from schwifty import IBAN
from stdnum.fr import siret as stdnum_siret

from robinet.core.numbering import current_number
from robinet.customers import rules, selectors, services
from robinet.customers.choices import (
    CLASSES_WITH_SIRET,
    ContractEndReason,
    ContractStatus,
    CustomerClass,
    MeterAccessibility,
    ParticularityKind,
    PartyKind,
)
from robinet.customers.models import (
    AddressInquiry,
    Contract,
    CustomerAccount,
    Meter,
    Particularity,
    Party,
    ServicePoint,
)
from robinet.customers.numbers import ACCOUNT_SERIES, CONTRACT_SERIES, SERVICE_POINT_SERIES
from robinet.demo import data
from robinet.demo.generator import MODELS, Pools, RowBuilder, Starts, _can_fork, generate
from robinet.organisation.models import Entity, EntityKind, User
from robinet.referential import commune_matches, naf_is_valid

TODAY = dt.date(2026, 3, 2)
CUSTOMERS = 1500


def _rows(seed: int, customers: int = 300) -> dict:
    builder = RowBuilder(
        pools=Pools(seed),
        seed=seed,
        today=TODAY,
        centres={code: i for i, code in enumerate(("CT-STR", "CT-COL", "CT-MTZ", "CT-THI"), 1)},
        starts=Starts(ids=dict.fromkeys(MODELS, 1), account=1, contract=1, service_point=1),
    )
    rows: dict = {model: [] for model in MODELS}
    for chunk in builder.chunks(customers, chunk_size=120):
        for model, chunk_rows in chunk.items():
            rows[model] += chunk_rows
    return rows


def test_same_seed_same_utility():
    first, second = _rows(7), _rows(7)
    assert {m: len(r) for m, r in first.items()} == {m: len(r) for m, r in second.items()}
    assert first == second
    first_names = [row[4] for row in first[Party]]
    assert first_names == [row[4] for row in second[Party]]
    assert len(first[CustomerAccount]) == 300


def test_another_seed_another_utility():
    assert _rows(7)[Party] != _rows(8)[Party]


class GeneratedUtilityTests(TestCase):
    """One generated utility, checked row by row."""

    @classmethod
    def setUpTestData(cls):
        cls.summary = generate(customers=CUSTOMERS, seed=42, today=TODAY, chunk_size=400)
        cls.accounts = list(CustomerAccount.objects.select_related("party", "centre"))
        cls.superuser = User.objects.create(username="root", is_superuser=True)

    def test_org1_demo_tree_and_account_counts(self):
        region = Entity.objects.get(code=data.REGION[0])
        assert region.kind == EntityKind.REGION
        assert Entity.objects.filter(kind=EntityKind.AGENCY).count() == 2
        centres = Entity.objects.filter(kind=EntityKind.CENTRE)
        assert centres.count() == 4
        assert all(c.path.startswith(region.path) for c in centres)
        assert len(self.accounts) == CUSTOMERS
        assert self.summary.counts["customers.CustomerAccount"] == CUSTOMERS
        for model in MODELS:
            assert self.summary.counts[model._meta.label] == model.objects.count(), model.__name__
        # Every centre has customers.
        assert {a.centre.kind for a in self.accounts} == {EntityKind.CENTRE}
        assert len({a.centre_id for a in self.accounts}) == 4

    def test_cust1_class_proportions(self):
        shares = Counter(a.customer_class for a in self.accounts)
        assert set(shares) == set(CustomerClass.values)
        individual = shares[CustomerClass.INDIVIDUAL] / CUSTOMERS
        assert 0.84 < individual < 0.92, individual
        professional = shares[CustomerClass.PROFESSIONAL] / CUSTOMERS
        assert 0.04 < professional < 0.1, professional
        syndic = shares[CustomerClass.SYNDIC] / CUSTOMERS
        assert 0.008 < syndic < 0.035, syndic

    def test_cust2_to_4_consistency_of_every_account(self):
        for account in self.accounts:
            party = account.party
            errors = rules.check_consistency(
                {f: getattr(party, f) for f in ("kind", "civility", "siret", "name_complement")},
                {f: getattr(account, f) for f in ("customer_class", "naf_code", "site_type")},
            )
            assert errors == {}, account.number
            if account.customer_class == CustomerClass.INDIVIDUAL:
                assert party.kind == PartyKind.PERSON
                assert party.civility in ("M.", "Mme", "M. et Mme")
            if party.kind == PartyKind.COMPANY:
                assert account.customer_class != CustomerClass.INDIVIDUAL
                assert party.civility not in ("M.", "Mme", "M. et Mme")
                assert party.civility
            if account.customer_class == CustomerClass.SYNDIC:
                assert party.name.startswith("Syndicat des copropriétaires")
                assert party.name_complement.startswith("géré par ")
                assert (party.civility, party.siret, account.naf_code) == ("SDC", "", "")
                assert account.site_type == "residential_building"
        assert selectors.consistency_breaches(user=self.superuser) == []

    def test_cust3_every_siret_and_naf_is_valid(self):
        sirets = [a.party.siret for a in self.accounts if a.party.siret]
        assert sirets
        for value in sirets:
            assert stdnum_siret.is_valid(value), value
        for account in self.accounts:
            if account.naf_code:
                assert naf_is_valid(account.naf_code), account.naf_code
            if account.customer_class in CLASSES_WITH_SIRET:
                assert account.party.siret
                assert account.naf_code
                assert account.site_type
            if account.customer_class == CustomerClass.LOCAL_AUTHORITY:
                assert account.naf_code == "84.11Z"
                assert account.party.siret.startswith("21")
            if account.customer_class == CustomerClass.ADMINISTRATION:
                assert account.naf_code.startswith("84.")

    def test_cust5_every_phone_is_valid_e164_of_the_right_kind(self):
        mobiles = landlines = 0
        for account in self.accounts:
            party = account.party
            if party.mobile:
                number = phonenumbers.parse(party.mobile)
                assert phonenumbers.is_valid_number(number), party.mobile
                assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
                assert rules.normalize_phone(party.mobile, mobile=True) == party.mobile
                mobiles += 1
            if party.landline:
                assert rules.normalize_phone(party.landline, mobile=False) == party.landline
                landlines += 1
            if party.email:
                assert rules.normalize_email(party.email) == party.email
            if party.kind == PartyKind.PERSON and (party.mobile or party.landline):
                assert party.bloctel_notice_at is not None  # CUST-5
        assert mobiles > CUSTOMERS * 0.6
        assert landlines > CUSTOMERS * 0.2
        with_email = sum(1 for a in self.accounts if a.party.email) / CUSTOMERS
        assert 0.6 < with_email < 0.8, with_email

    def test_cust6_ibans_bics_and_payment_means(self):
        with_iban = 0
        for account in self.accounts:
            if account.iban:
                with_iban += 1
                assert rules.normalize_iban(account.iban) == account.iban
                assert str(IBAN(account.iban).bic) == account.bic
            else:
                assert account.bic == ""
            if account.monthly_payment:
                assert account.direct_debit
            if account.direct_debit:
                assert account.iban
            if account.e_invoice:
                assert account.party.email
        assert 0.45 < with_iban / CUSTOMERS < 0.65, with_iban
        direct_debit = sum(a.direct_debit for a in self.accounts) / CUSTOMERS
        assert 0.35 < direct_debit < 0.55, direct_debit

    def test_cust9_addresses_are_real_and_service_points_complete(self):
        for point in ServicePoint.objects.all():
            assert commune_matches(point.commune_insee, point.postcode), point.reference
            assert point.street
            assert point.city
            assert point.meter_location
            if point.meter_location == "N/A":
                assert point.meter_accessibility == MeterAccessibility.UNKNOWN
        for account in self.accounts:
            party = account.party
            assert commune_matches(party.commune_insee, party.postcode), account.number
        departments = {p.commune_insee[:2] for p in ServicePoint.objects.all()}
        assert departments == {"57", "67", "68"}
        diameters = set(Meter.objects.values_list("diameter_mm", flat=True))
        assert 15 in diameters
        assert diameters & {60, 65, 80, 100, 150}
        serials = list(Meter.objects.values_list("serial", flat=True))
        assert len(serials) == len(set(serials))
        assert all(len(s) == 11 and s[0].isalpha() for s in serials)

    def test_cust10_contract_histories(self):
        points = {p.pk: p for p in ServicePoint.objects.all()}
        active = Counter()
        meters_of = {}
        for meter in Meter.objects.all():
            meters_of.setdefault(meter.service_point_id, []).append(meter)
            if meter.removed_on is not None:
                assert meter.removed_on >= meter.installed_on
        for point_id in points:
            assert sum(1 for m in meters_of[point_id] if m.removed_on is None) == 1, point_id
        contracts = list(Contract.objects.all())
        for contract in contracts:
            assert contract.start_date <= TODAY
            assert contract.start_meter.service_point_id == contract.service_point_id
            assert contract.start_index is not None
            if contract.status == ContractStatus.ACTIVE:
                active[contract.service_point_id] += 1
                assert contract.end_date is None
            else:
                assert contract.end_date >= contract.start_date
                assert contract.end_index >= contract.start_index
                assert contract.end_reason
        assert max(active.values()) <= 1  # CUST-10
        closed = [c for c in contracts if c.status == ContractStatus.CLOSED]
        assert closed
        # Move-outs followed by the next holder on the same service point.
        starts = {}
        for c in contracts:
            starts.setdefault(c.service_point_id, []).append(c)
        moves = [
            c
            for c in closed
            if c.end_reason == ContractEndReason.MOVE_OUT
            and any(
                n.status == ContractStatus.ACTIVE and n.start_date >= c.end_date
                for n in starts[c.service_point_id]
            )
        ]
        assert moves
        # Changes of holder: the next contract names its predecessor, same day, same point,
        # same index.
        successors = [c for c in contracts if c.previous_contract_id]
        assert successors
        for successor in successors:
            previous = successor.previous_contract
            assert previous.end_reason == ContractEndReason.CHANGE_OF_HOLDER
            assert previous.service_point_id == successor.service_point_id
            assert previous.end_date == successor.start_date
            assert previous.end_index == successor.start_index
        # Closed accounts: every contract closed, the closing after the last departure.
        for account in self.accounts:
            account_contracts = [c for c in contracts if c.account_id == account.pk]
            assert account_contracts
            assert account.opened_on == min(c.start_date for c in account_contracts), account.number
            if account.status == "closed":
                assert all(c.status == ContractStatus.CLOSED for c in account_contracts)
                assert account.closed_on >= max(c.end_date for c in account_contracts)

    def test_cust7_and_cust11_particularities_and_returned_mail(self):
        kinds = Counter(Particularity.objects.values_list("kind", flat=True))
        assert set(kinds) == set(ParticularityKind.values)
        for particularity in Particularity.objects.filter(kind=ParticularityKind.NEC):
            assert particularity.comment == ""
        large = {a.pk for a in self.accounts if a.customer_class == CustomerClass.LARGE_ACCOUNT}
        flagged = set(
            Particularity.objects.filter(kind=ParticularityKind.LARGE_ACCOUNT).values_list(
                "account_id", flat=True
            )
        )
        assert large == flagged
        returned = [a for a in self.accounts if a.mail_returned_on]
        assert returned
        for account in returned:
            assert account.party.address_invalid_since == account.mail_returned_on
            assert AddressInquiry.objects.filter(account=account, closed_on__isnull=True).exists()

    def test_search_text_is_what_the_services_compute(self):
        generated = {a.pk: a.search_text for a in self.accounts}
        assert all(text.strip() for text in generated.values())
        services.account_search_text_refresh(generated)
        refreshed = dict(CustomerAccount.objects.values_list("pk", "search_text"))
        assert refreshed == generated

    def test_search_finds_generated_customers(self):
        superuser = self.superuser
        account = next(
            a
            for a in self.accounts
            if a.customer_class == CustomerClass.INDIVIDUAL and a.party.mobile
        )
        meter = Meter.objects.filter(service_point__contracts__account=account).first()
        for query in (
            account.number,
            f"{account.party.name} {account.party.first_name}",
            meter.serial,
        ):
            found = selectors.customer_search(user=superuser, query=query, limit=500)
            assert account.pk in [a.pk for a in found], query

    def test_numbering_continues_after_the_generated_numbers(self):
        assert current_number(ACCOUNT_SERIES) == CUSTOMERS
        assert current_number(CONTRACT_SERIES) == Contract.objects.count()
        assert current_number(SERVICE_POINT_SERIES) == ServicePoint.objects.count()
        # The primary key sequences too: plain inserts after the bulk load.
        now = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
        party = Party.objects.create(
            kind=PartyKind.PERSON, name="Nouveau", created_at=now, updated_at=now
        )
        assert party.pk > max(a.party_id for a in self.accounts)
        point = ServicePoint.objects.first()
        meter = Meter.objects.create(serial="Z99ZZ000001", diameter_mm=15)
        assert meter.service_point is None
        assert meter.pk > 0
        assert point.reference.startswith("P")

    def test_a_second_generation_continues_numbers_and_ids(self):
        summary = generate(customers=20, seed=43, today=TODAY)
        assert summary.counts["customers.CustomerAccount"] == 20
        assert CustomerAccount.objects.count() == CUSTOMERS + 20
        assert current_number(ACCOUNT_SERIES) == CUSTOMERS + 20
        assert Entity.objects.filter(kind=EntityKind.CENTRE).count() == 4

    def test_database_vendor_path(self):
        # COPY from the writer thread on PostgreSQL, executemany on SQLite.
        assert self.summary.vendor == connection.vendor
        if connection.vendor == "postgresql":
            assert "finish.copy_drain" in self.summary.timings
        else:
            assert "finish.indexes" in self.summary.timings


@pytest.mark.django_db
def test_ids_start_above_ids_already_handed_out():
    now = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    gone = Party.objects.create(kind=PartyKind.PERSON, name="Parti", created_at=now, updated_at=now)
    gone_id = gone.pk
    gone.delete()
    generate(customers=5, seed=1, today=TODAY)
    assert min(Party.objects.values_list("pk", flat=True)) > gone_id


@pytest.mark.django_db
def test_rows_built_in_a_child_process_are_the_same():
    summary = generate(customers=80, seed=5, today=TODAY, chunk_size=30, parallel=True)
    assert summary.parallel == _can_fork()
    written = list(Party.objects.order_by("pk").values_list("civility", "name", "first_name"))
    assert written == [(r[2], r[3], r[4]) for r in _rows(5, customers=80)[Party]]
    assert CustomerAccount.objects.count() == 80
    assert current_number(ACCOUNT_SERIES) == 80
    assert current_number(CONTRACT_SERIES) == Contract.objects.count()
