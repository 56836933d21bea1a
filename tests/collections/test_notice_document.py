"""Notice documents loaded from the database (COLL-1, COLL-2, COLL-4)."""

from dataclasses import replace
from decimal import Decimal

import pytest

from robinet.collections.notices import notice_document, notice_documents, sample_document
from robinet.collections.notices.document import FeeLine, NoticeDocument
from robinet.collections.rules.france import LEGAL_INDEMNITY
from tests.collections import notice_factories as nf
from tests.payments.conftest import tariff, today  # noqa: F401


@pytest.mark.django_db
def test_coll_2_individual_first_reminder_fr_d2008_780_art2(org, tariff):  # noqa: F811
    (account,) = nf.billed_accounts(org.centres[0])
    notice = nf.notice(account, level=1)
    doc = notice_document(notice)
    assert doc.number == notice.number
    assert doc.account_number == account.number
    assert doc.recipient.name.endswith(account.party.name)
    assert doc.recipient.postcode == account.party.postcode
    assert doc.recipient.address_lines[0] == account.party.address_line
    assert len(doc.items) == 2
    assert doc.total_due == notice.total_due == sum(i.open_amount for i in doc.items)
    assert doc.pay_by == notice.pay_by
    assert doc.delay_days >= 15  # FR-D2008-780-ART2: at least 15 more days
    assert doc.utility.name  # settings ROBINET_UTILITY
    assert not doc.fees
    assert not doc.formal_notice
    assert not doc.cutoff_wording_allowed
    assert doc.fsl_information
    assert "FR-CASF-L115-3" in doc.rules
    assert doc.is_letter


@pytest.mark.django_db
def test_coll_4_professional_formal_notice_keeps_restriction_and_fees_fr_ccom_l441_10(
    org,
    tariff,  # noqa: F811
):
    (account,) = nf.billed_accounts(org.centres[0], professional=True)
    notice = nf.notice(account, level=2, formal_notice_sent=True)
    doc = notice_document(notice)
    assert doc.professional
    assert not doc.main_residence
    assert doc.formal_notice
    assert doc.cutoff_wording_allowed
    assert doc.restriction_on is not None
    assert doc.restriction_on > doc.pay_by
    assert not doc.fsl_information  # professionals: no décret 2008-780 information
    indemnities = [f for f in doc.fees if f.kind == "indemnity"]
    assert len(indemnities) == len(doc.items)
    assert {f.amount for f in indemnities} == {LEGAL_INDEMNITY}
    assert any(f.kind == "interest" for f in doc.fees)
    assert doc.fee_total == notice.fee_total
    assert doc.late_interest_rate == Decimal("12.15")


@pytest.mark.django_db
def test_coll_4_main_residence_formal_notice_has_no_restriction_fr_casf_l115_3(
    org,
    tariff,  # noqa: F811
):
    (account,) = nf.billed_accounts(org.centres[0])
    doc = notice_document(nf.notice(account, level=2, formal_notice_sent=True))
    assert doc.formal_notice
    assert "restriction" not in doc.actions
    assert not doc.cutoff_wording_allowed
    assert not doc.fees  # FR-CPCE-L111-8


@pytest.mark.django_db
def test_coll_4_nec_professional_has_no_restriction_fr_nec(org, tariff):  # noqa: F811
    (account,) = nf.billed_accounts(org.centres[0], professional=True)
    doc = notice_document(nf.notice(account, level=2, nec=True, formal_notice_sent=True))
    assert "FR-NEC" in doc.rules
    assert not doc.cutoff_wording_allowed


@pytest.mark.django_db
def test_coll_2_notice_documents_load_a_batch_in_a_fixed_number_of_queries(
    org,
    tariff,  # noqa: F811
    django_assert_max_num_queries,
):
    individuals = nf.billed_accounts(org.centres[0], 3)
    professionals = nf.billed_accounts(org.centres[1], 2, professional=True)
    notices = [nf.notice(a, level=1) for a in individuals]
    notices += [nf.notice(a, level=2, formal_notice_sent=True) for a in professionals]
    with django_assert_max_num_queries(3):
        docs = notice_documents(notices)
    assert [d.number for d in docs] == [n.number for n in notices]  # the given order
    with django_assert_max_num_queries(3):
        one = notice_documents([notices[0].pk])
    assert one == docs[:1]
    with django_assert_max_num_queries(3):
        notice_documents(n.pk for n in reversed(notices))
    assert notice_documents([]) == []
    from robinet.collections.models import DunningNotice

    with django_assert_max_num_queries(4):
        from_queryset = notice_documents(DunningNotice.objects.order_by("number"))
    assert sorted(d.number for d in docs) == [d.number for d in from_queryset]


@pytest.mark.django_db
def test_coll_1_agency_identity_from_the_caller(org, tariff):  # noqa: F811
    (account,) = nf.billed_accounts(org.centres[0])
    doc = notice_document(
        nf.notice(account, level=3),
        agency={
            "name": "Recouvrement Amiable de l'Est",
            "address": "4 rue du Dôme",
            "city": "Metz",
        },
    )
    assert doc.agency_mentions
    assert doc.agency.name == "Recouvrement Amiable de l'Est"
    assert doc.agency.address == "4 rue du Dôme, Metz"


# --- the document's own invariants (no database) --------------------------------------------


def test_coll_4_cutoff_wording_never_allowed_with_a_no_cutoff_rule():
    doc = sample_document(main_residence=False, professional=True, formal_notice=True)
    forced = replace(doc, actions=(*doc.actions, "restriction"), rules=("FR-NEC",))
    assert not forced.cutoff_wording_allowed
    forced = replace(doc, actions=(*doc.actions, "restriction"), main_residence=True)
    assert not forced.cutoff_wording_allowed
    allowed = replace(doc, actions=(*doc.actions, "restriction"), rules=())
    assert allowed.cutoff_wording_allowed


def test_coll_1_fees_on_a_consumer_document_are_refused_fr_cpce_l111_8():
    doc = sample_document()
    fee = FeeLine(doc.items[0].document_number, "indemnity", LEGAL_INDEMNITY)
    with pytest.raises(ValueError, match="fees on a consumer"):
        replace(doc, fees=(fee,))


def test_coll_2_items_must_add_up_to_the_total_due():
    doc = sample_document()
    with pytest.raises(ValueError, match="items sum to"):
        replace(doc, total_due=doc.total_due + 1)
    with pytest.raises(ValueError, match="cites no item"):
        NoticeDocument(**{**_fields(doc), "items": (), "total_due": Decimal("0.00")})


def _fields(doc):
    from dataclasses import fields

    return {f.name: getattr(doc, f.name) for f in fields(doc) if f.init}
