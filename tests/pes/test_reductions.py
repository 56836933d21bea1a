"""Credit notes on titled invoices: annulation/reduction bordereau in a later export (issue 7)."""

import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree

from robinet.billing.services import credit_note_issue
from robinet.core.exceptions import ApplicationError
from robinet.pes import ormc
from robinet.pes.models import Title, TitleReduction
from robinet.pes.services import pes_export

pytestmark = pytest.mark.django_db


def test_credit_note_goes_as_a_reduction_in_the_next_export(billing_run, chief):
    first = pes_export(actor=chief, run=billing_run, on=dt.date(2026, 2, 1))
    title = Title.objects.get(account=billing_run.household)
    note = credit_note_issue(actor=chief, invoice=title.invoice, reason="Fuite après compteur")
    # Nothing else to title in the run: the export carries the reduction alone.
    second = pes_export(actor=chief, run=None, on=dt.date(2026, 2, 10))
    ormc.validate(bytes(second.content))
    assert first.reductions == 0
    assert (second.titles, second.reductions) == (0, 1)
    assert second.bordereau is None
    assert second.reduction_bordereau == 1
    reduction = TitleReduction.objects.get()
    assert reduction.credit_note == note
    assert reduction.amount == note.total_incl_vat == second.reductions_total
    root = etree.fromstring(bytes(second.content))
    assert root.find(".//BlocBordereau/TypBord").get("V") == "02"
    assert root.find(".//BlocPiece/NatPce").get("V") == "06"
    assert root.find(".//RattachPiece/IdPceOrig").get("V") == str(title.piece)
    title.refresh_from_db()
    assert title.reduced == note.total_incl_vat
    # Sent once.
    with pytest.raises(ApplicationError):
        pes_export(actor=chief, run=None)


def test_reduction_never_exceeds_what_the_title_still_carries(billing_run, chief):
    pes_export(actor=chief, run=billing_run, on=dt.date(2026, 2, 1))
    title = Title.objects.get(account=billing_run.household)
    Title.objects.filter(pk=title.pk).update(paid=title.amount - Decimal("5.00"))
    credit_note_issue(actor=chief, invoice=title.invoice, reason="Erreur")
    export = pes_export(actor=chief, run=None)
    assert export.reductions_total == Decimal("5.00")
