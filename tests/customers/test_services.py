"""The customer-file services: CUST-1…11 and the audit trail (ORG-3)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from robinet.core.exceptions import ApplicationError, PermissionDenied, ValidationFailed
from robinet.core.models import AuditEvent
from robinet.customers import hooks, services
from robinet.customers.models import Contract, CustomerAccount, Particularity, Party
from tests.customers import factories


def _fields(exc) -> set[str]:
    return set(exc.value.fields)


# --- CUST-1…4: identity and consistency ------------------------------------------------------


def test_cust1_create_individual_gets_number_and_audit(org, officer):
    account = factories.person(org.centres[0], actor=officer)
    assert account.number == "000000001"
    assert account.party.kind == "person"
    event = AuditEvent.objects.get(verb="customer_created")
    assert event.actor == officer
    assert event.changes["name"] == [None, "Lefèvre"]


def test_cust2_individual_class_requires_person(org):
    with pytest.raises(ValidationFailed) as exc:
        services.customer_create(
            actor=None,
            centre=org.centres[0],
            party={**factories.COMPANY},
            account={"customer_class": "individual"},
        )
    assert "customer_class" in _fields(exc)
    assert Party.objects.count() == 0


def test_cust2_company_civility_is_legal_form_not_mr_mrs(org):
    with pytest.raises(ValidationFailed) as exc:
        factories.company(org.centres[0], civility="M.")
    assert "civility" in _fields(exc)


def test_cust2_company_civility_constraint_in_database(org):
    account = factories.company(org.centres[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        Party.objects.filter(pk=account.party_id).update(civility="Mme")


@pytest.mark.parametrize(
    ("siret", "naf", "site", "field"),
    [
        ("73282932000075", "10.71C", "shop", "siret"),  # wrong Luhn key
        ("", "10.71C", "shop", "siret"),  # missing
        ("73282932000074", "99.99Z", "shop", "naf_code"),  # not in the official list
        ("73282932000074", "1071", "shop", "naf_code"),  # wrong shape
        ("73282932000074", "", "shop", "naf_code"),
        ("73282932000074", "10.71C", "", "site_type"),
    ],
)
def test_cust3_professional_needs_valid_siret_naf_and_site(org, siret, naf, site, field):
    with pytest.raises(ValidationFailed) as exc:
        services.customer_create(
            actor=None,
            centre=org.centres[0],
            party={**factories.COMPANY, "siret": siret},
            account={"customer_class": "professional", "naf_code": naf, "site_type": site},
        )
    assert field in _fields(exc)
    assert CustomerAccount.objects.count() == 0


def test_cust3_naf_without_dot_is_normalised(org):
    account = services.customer_create(
        actor=None,
        centre=org.centres[0],
        party={**factories.COMPANY, "siret": "732 829 320 00074"},
        account={
            "customer_class": "local_authority",
            "naf_code": "8411z",
            "site_type": "public_building",
        },
    )
    assert account.naf_code == "84.11Z"
    assert account.party.siret == "73282932000074"
    assert account.party.siren == "732829320"


def test_cust4_coownership_rules(org):
    good = {
        "kind": "company",
        "civility": "SDC",
        "name": "Syndicat des copropriétaires Les Tilleuls",
        "name_complement": "géré par FONCIA",
        "postcode": "67000",
        "commune_insee": "67482",
    }
    account = services.customer_create(
        actor=None,
        centre=org.centres[0],
        party=good,
        account={"customer_class": "syndic", "site_type": "residential_building"},
    )
    assert account.customer_class == "syndic"
    with pytest.raises(ValidationFailed) as exc:
        services.customer_create(
            actor=None,
            centre=org.centres[0],
            party={
                **good,
                "civility": "SA",
                "siret": "73282932000074",
                "name_complement": "Foncia",
            },
            account={"customer_class": "syndic", "site_type": "shop", "naf_code": "68.32A"},
        )
    assert {"civility", "siret", "naf_code", "site_type", "name_complement"} <= _fields(exc)


def test_cust4_syndic_constraint_in_database(org):
    account = services.customer_create(
        actor=None,
        centre=org.centres[0],
        party={
            "kind": "company",
            "civility": "SDC",
            "name": "SDC Le Parc",
            "name_complement": "géré par Nexity",
        },
        account={"customer_class": "syndic", "site_type": "residential_building"},
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerAccount.objects.filter(pk=account.pk).update(naf_code="68.32A")


def test_cust9_postcode_must_belong_to_commune(org):
    with pytest.raises(ValidationFailed) as exc:
        factories.person(org.centres[0], postcode="75001")
    assert "postcode" in _fields(exc)


# --- CUST-5: contact data and the Bloctel notice ---------------------------------------------


def test_cust5_phone_of_a_person_requires_the_bloctel_notice(org, officer):
    account = factories.person(org.centres[0], actor=officer)
    with pytest.raises(services.BloctelNoticeRequired) as exc:
        services.party_update(actor=officer, account=account, party={"mobile": "06 12 34 56 78"})
    assert "mobile" in exc.value.fields
    assert Party.objects.get(pk=account.party_id).mobile == ""

    services.party_update(
        actor=officer,
        account=account,
        party={"mobile": "06 12 34 56 78"},
        bloctel_notice_given=True,
    )
    party = Party.objects.get(pk=account.party_id)
    assert party.mobile == "+33612345678"
    assert party.bloctel_notice_at is not None
    assert AuditEvent.objects.filter(verb="bloctel_notice_given").count() == 1


def test_cust5_company_phone_needs_no_bloctel_notice(org):
    account = factories.company(org.centres[0])
    services.party_update(actor=None, account=account, party={"landline": "03 88 12 34 56"})
    assert Party.objects.get(pk=account.party_id).landline == "+33388123456"


def test_cust5_overseas_numbers_parse_with_their_own_region(org):
    account = services.customer_create(
        actor=None,
        centre=org.centres[0],
        party={
            "kind": "person",
            "civility": "M.",
            "name": "Payet",
            "postcode": "97400",
            "commune_insee": "97411",
            "mobile": "0692 12 34 56",
        },
        account=factories.INDIVIDUAL,
        bloctel_notice_given=True,
    )
    assert account.party.mobile == "+262692123456"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mobile", "01 23 45 67 89"),
        ("mobile", "12345"),
        ("landline", "06 12 34 56 78"),
        ("email", "pas-un-mail"),
    ],
)
def test_cust5_bad_contact_data_names_the_field(org, field, value):
    account = factories.person(org.centres[0])
    with pytest.raises(ValidationFailed) as exc:
        services.party_update(
            actor=None, account=account, party={field: value}, bloctel_notice_given=True
        )
    assert field in _fields(exc)


def test_org3_update_records_before_and_after(org, officer):
    account = factories.person(org.centres[0], actor=officer)
    services.party_update(actor=officer, account=account, party={"email": "h.lefevre@exemple.fr"})
    event = AuditEvent.objects.get(verb="customer_updated")
    assert event.changes == {"email": ["helene.lefevre@example.fr", "h.lefevre@exemple.fr"]}
    assert event.subject_id == str(account.pk)


def test_org2_officer_cannot_change_another_centre(org, officer):
    account = factories.person(org.centres[1])
    with pytest.raises(PermissionDenied):
        services.party_update(actor=officer, account=account, party={"email": "x@example.fr"})
    assert AuditEvent.objects.filter(verb="customer_updated").count() == 0


# --- CUST-6: bank details --------------------------------------------------------------------


def test_cust6_iban_is_validated_with_the_rib_key(org):
    account = factories.person(org.centres[0])
    with pytest.raises(ValidationFailed) as exc:
        # Valid IBAN check digits but a wrong French RIB key.
        services.bank_details_update(
            actor=None, account=account, iban="FR7630006000011234567890188", channel="letter"
        )
    assert "iban" in _fields(exc)
    account = services.bank_details_update(
        actor=None, account=account, iban="FR76 3000 6000 0112 3456 7890 189", channel="letter"
    )
    assert account.iban == "FR7630006000011234567890189"
    assert account.bic == "AGRIFRPPXXX"


def test_cust6_third_party_bank_change_by_phone_is_refused(org):
    account = factories.person(org.centres[0])
    with pytest.raises(ApplicationError) as exc:
        services.bank_details_update(
            actor=None,
            account=account,
            iban="FR7630006000011234567890189",
            channel="phone",
            requester="third_party",
        )
    assert exc.value.code == "written_request_required"
    assert CustomerAccount.objects.get(pk=account.pk).iban == ""


# --- CUST-7: particularities -----------------------------------------------------------------


def test_cust7_nec_refuses_any_comment(org):
    account = factories.person(org.centres[0])
    with pytest.raises(ValidationFailed) as exc:
        services.particularity_add(
            actor=None, account=account, kind="nec", comment="dialyse à domicile"
        )
    assert "comment" in _fields(exc)
    services.particularity_add(actor=None, account=account, kind="nec")
    assert Particularity.objects.get(account=account).comment == ""


def test_cust7_nec_comment_constraint_in_database(org):
    account = factories.person(org.centres[0])
    particularity = services.particularity_add(actor=None, account=account, kind="nec")
    with pytest.raises(IntegrityError), transaction.atomic():
        Particularity.objects.filter(pk=particularity.pk).update(comment="raison médicale")


def test_cust7_one_active_particularity_per_kind(org):
    account = factories.person(org.centres[0])
    first = services.particularity_add(actor=None, account=account, kind="vulnerable")
    with pytest.raises(ApplicationError):
        services.particularity_add(actor=None, account=account, kind="vulnerable")
    services.particularity_end(actor=None, particularity=first)
    services.particularity_add(actor=None, account=account, kind="vulnerable")
    assert account.particularities.count() == 2


# --- CUST-8: comments ------------------------------------------------------------------------


def test_cust8_judgemental_comment_is_refused_with_explanation(org, officer):
    account = factories.person(org.centres[0], actor=officer)
    with pytest.raises(ValidationFailed) as exc:
        services.comment_add(actor=officer, account=account, text="Mauvais payeur, client agressif")
    assert exc.value.fields["text"]
    assert account.comments.count() == 0
    services.comment_add(
        actor=officer, account=account, text="Échéancier accordé sur 6 mois, rappeler le 15."
    )
    assert account.comments.count() == 1


# --- CUST-9, CUST-10: service points, meters, contracts --------------------------------------


def test_cust9_meter_location_never_empty(org):
    sp = factories.service_point(org.centres[0], meter_location="")
    assert sp.meter_location == "N/A"


def test_cust9_service_point_update_is_audited_on_the_customer_page(org, officer):
    account = factories.person(org.centres[0])
    sp = factories.service_point(org.centres[0])
    factories.moved_in(account, sp)
    with pytest.raises(ValidationFailed) as exc:
        services.service_point_update(
            actor=officer, service_point=sp, data={"meter_location": "", "dwellings": 0}
        )
    assert "dwellings" in _fields(exc)
    updated = services.service_point_update(
        actor=officer,
        service_point=sp,
        data={"meter_location": "", "meter_accessibility": "not_accessible"},
    )
    assert updated.meter_location == "N/A"  # never empty
    event = AuditEvent.objects.get(verb="service_point_updated")
    assert event.changes["meter_accessibility"] == ["accessible", "not_accessible"]
    from robinet.customers import selectors

    overview = selectors.customer_overview(user=officer, account=account)
    assert event in overview["events"]


def test_cust10_move_in_checks_the_meter_serial(org):
    account = factories.person(org.centres[0])
    sp = factories.service_point(org.centres[0], serial="I21AB000777")
    with pytest.raises(ValidationFailed) as exc:
        services.contract_move_in(
            actor=None,
            account=account,
            service_point=sp,
            start_date="2025-01-10",
            meter_serial="I21AB000778",
            start_index="10",
        )
    assert "meter_serial" in _fields(exc)
    contract = factories.moved_in(account, sp)
    assert contract.start_meter.serial == "I21AB000777"
    assert contract.start_index == Decimal("120.000")


@pytest.mark.parametrize("index", ["NaN", "Infinity", "-1", "abc", "1e12"])
def test_api3_bad_index_is_a_field_error(org, index):
    account = factories.person(org.centres[0])
    sp = factories.service_point(org.centres[0], serial="I21AB000999")
    with pytest.raises(ValidationFailed) as exc:
        services.contract_move_in(
            actor=None,
            account=account,
            service_point=sp,
            start_date="2025-01-10",
            meter_serial="I21AB000999",
            start_index=index,
        )
    assert "start_index" in _fields(exc)


def test_cust10_one_active_contract_per_service_point(org):
    sp = factories.service_point(org.centres[0])
    first = factories.moved_in(factories.person(org.centres[0]), sp)
    with pytest.raises(ApplicationError) as exc:
        factories.moved_in(factories.person(org.centres[0], name="Martin"), sp)
    assert exc.value.code == "service_point_occupied"
    with pytest.raises(IntegrityError), transaction.atomic():
        Contract.objects.create(
            number="X1", account=first.account, service_point=sp, start_date=dt.date(2025, 1, 1)
        )


def test_cust10_move_out_then_move_in(org):
    sp = factories.service_point(org.centres[0])
    contract = factories.moved_in(factories.person(org.centres[0]), sp)
    with pytest.raises(ValidationFailed) as exc:
        services.contract_move_out(
            actor=None, contract=contract, end_date="2024-02-01", end_index="100"
        )
    assert {"end_date", "end_index"} <= _fields(exc)
    closed = services.contract_move_out(
        actor=None, contract=contract, end_date="2025-06-30", end_index="250"
    )
    assert closed.status == "closed"
    assert closed.end_reason == "move_out"
    newcomer = factories.person(org.centres[0], name="Martin")
    new = factories.moved_in(newcomer, sp, start=dt.date(2025, 7, 1), index="250")
    assert new.status == "active"


def test_cust10_third_party_termination_must_be_written(org):
    contract = factories.moved_in(
        factories.person(org.centres[0]), factories.service_point(org.centres[0])
    )
    with pytest.raises(ApplicationError) as exc:
        services.contract_move_out(
            actor=None,
            contract=contract,
            end_date="2025-06-30",
            end_index="200",
            channel="phone",
            requester="third_party",
            reason="termination",
        )
    assert exc.value.code == "written_request_required"


def test_cust10_change_of_holder_after_separation_is_free(org):
    couple = factories.person(org.centres[0], civility="M. et Mme", first_name="Paul et Léa")
    contract = factories.moved_in(couple, factories.service_point(org.centres[0]))
    remaining = factories.person(org.centres[0], first_name="Léa")
    new = services.contract_change_holder(
        actor=None,
        contract=contract,
        new_account=remaining,
        change_date="2025-05-01",
        index="300",
        reason="separation",
        channel="phone",
    )
    assert new.free_of_charge is True
    assert new.previous_contract_id == contract.pk
    contract.refresh_from_db()
    assert contract.end_reason == "change_of_holder"
    assert contract.end_index == Decimal("300")


def test_cust10_change_of_holder_by_phone_refused_when_balance_not_zero(org, monkeypatch):
    couple = factories.person(org.centres[0], civility="M. et Mme")
    contract = factories.moved_in(couple, factories.service_point(org.centres[0]))
    monkeypatch.setattr(hooks, "_balance_provider", lambda account: Decimal("42.10"))
    with pytest.raises(ApplicationError) as exc:
        services.contract_change_holder(
            actor=None,
            contract=contract,
            new_account=factories.person(org.centres[0]),
            change_date="2025-05-01",
            index="300",
            reason="separation",
            channel="phone",
        )
    assert exc.value.code == "written_request_required"
    contract.refresh_from_db()
    assert contract.status == "active"


def test_cust10_single_holder_death_needs_writing_and_proof(org):
    contract = factories.moved_in(
        factories.person(org.centres[0]), factories.service_point(org.centres[0])
    )
    heir = factories.person(org.centres[0], first_name="Marc")
    with pytest.raises(ApplicationError):
        services.contract_change_holder(
            actor=None,
            contract=contract,
            new_account=heir,
            change_date="2025-05-01",
            index="300",
            reason="death",
            channel="phone",
        )
    with pytest.raises(ValidationFailed) as exc:
        services.contract_change_holder(
            actor=None,
            contract=contract,
            new_account=heir,
            change_date="2025-05-01",
            index="300",
            reason="death",
            channel="letter",
        )
    assert "proof_received" in _fields(exc)
    new = services.contract_change_holder(
        actor=None,
        contract=contract,
        new_account=heir,
        change_date="2025-05-01",
        index="300",
        reason="death",
        channel="letter",
        proof_received=True,
    )
    assert new.free_of_charge


# --- CUST-11: returned mail ------------------------------------------------------------------


def test_cust11_returned_mail_flags_pauses_and_opens_a_task(org):
    account = factories.person(org.centres[0])
    inquiry = services.returned_mail_record(
        actor=None, account=account, received_on=dt.date(2025, 3, 3)
    )
    account.refresh_from_db()
    assert account.mail_returned_on == dt.date(2025, 3, 3)
    assert account.party.address_invalid_since == dt.date(2025, 3, 3)
    assert inquiry.closed_on is None
    # A new address closes the search and lifts the pause.
    services.party_update(actor=None, account=account, party={"address_line": "4 rue du Dôme"})
    account.refresh_from_db()
    inquiry.refresh_from_db()
    assert account.mail_returned_on is None
    assert account.party.address_invalid_since is None
    assert inquiry.closed_on is not None


# --- CUST-8: anonymisation -------------------------------------------------------------------


def test_cust8_anonymise_only_closed_accounts_past_retention(org):
    old = factories.person(org.centres[0], name="Ancien", email="ancien@example.fr")
    CustomerAccount.objects.filter(pk=old.pk).update(
        status="closed", closed_on=dt.date(2018, 1, 1), iban="FR7630006000011234567890189"
    )
    recent = factories.person(org.centres[0], name="Récent")
    CustomerAccount.objects.filter(pk=recent.pk).update(
        status="closed", closed_on=dt.date(2024, 1, 1)
    )
    active = factories.person(org.centres[0], name="Actif")
    ids = services.parties_anonymise(as_of=dt.date(2025, 6, 1), retention_years=5, dry_run=True)
    assert ids == [old.party_id]
    assert Party.objects.get(pk=old.party_id).name == "Ancien"
    services.parties_anonymise(as_of=dt.date(2025, 6, 1), retention_years=5)
    anonymised = Party.objects.get(pk=old.party_id)
    assert anonymised.name == services.ANONYMISED
    assert anonymised.email == ""
    assert anonymised.anonymised_at
    assert CustomerAccount.objects.get(pk=old.pk).iban == ""
    assert Party.objects.get(pk=recent.party_id).name == "Récent"
    assert Party.objects.get(pk=active.party_id).name == "Actif"
    assert (
        not AuditEvent.objects.filter(
            subject_id=str(old.pk), subject_type="customers.customeraccount"
        )
        .exclude(changes={})
        .exists()
    )


def test_cust10_move_out_index_may_be_lower_after_a_rollover_or_meter_change(org):
    """METER-2/METER-4: a lower final index is refused only when the dial cannot explain it."""
    from robinet.customers.models import Meter

    sp = factories.service_point(org.centres[0], serial="I21RO000001")
    Meter.objects.filter(serial="I21RO000001").update(index_digits=4)
    contract = factories.moved_in(factories.person(org.centres[0]), sp, index="9950")
    with pytest.raises(ValidationFailed):
        services.contract_move_out(
            actor=None, contract=contract, end_date="2025-06-30", end_index="5000"
        )
    closed = services.contract_move_out(
        actor=None, contract=contract, end_date="2025-06-30", end_index="40"
    )
    assert closed.end_index == Decimal("40")  # through zero: 9950 → 9999 → 40

    sp2 = factories.service_point(org.centres[0], serial="I21RO000002")
    contract2 = factories.moved_in(
        factories.person(org.centres[0], name="Martin"), sp2, index="800"
    )
    old = sp2.meters.get()
    services.meter_remove(actor=None, meter=old, removed_on="2025-01-01")
    services.meter_install(
        actor=None,
        service_point=sp2,
        serial="I21RO000003",
        diameter_mm=15,
        installed_on="2025-01-01",
    )
    closed2 = services.contract_move_out(
        actor=None, contract=contract2, end_date="2025-06-30", end_index="12"
    )
    assert closed2.end_index == Decimal("12")  # on the new meter
