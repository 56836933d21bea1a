"""Printing the dunning letters of a run into one PDF (COLL-2)."""

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from robinet.collections.models import DunningNotice
from robinet.collections.notices.printing import letters_to_print, notices_print
from tests.collections import notice_factories as nf
from tests.payments.conftest import tariff, today  # noqa: F401

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 2, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def notices(org, tariff):  # noqa: F811
    individuals = nf.billed_accounts(org.centres[0], 3)
    (professional,) = nf.billed_accounts(org.centres[1], professional=True)
    rows = [nf.notice(a, level=1) for a in individuals]
    rows.append(nf.notice(professional, level=2, formal_notice_sent=True))
    return rows


def test_coll_2_print_marks_printed_and_counts_pages(notices, django_assert_max_num_queries):
    out = io.BytesIO()
    # the ids, one batch (3), the printed mark (an update within a savepoint and its release)
    with django_assert_max_num_queries(7):
        result = notices_print(DunningNotice.objects.all(), out, now=NOW)
    assert result.notices == 4
    reader = PdfReader(io.BytesIO(out.getvalue()))
    assert result.pages == len(reader.pages)
    assert result.seconds > 0
    assert result.first_pages[0] == 1
    assert DunningNotice.objects.filter(printed_at=NOW).count() == 4
    texts = [reader.pages[p - 1].extract_text() for p in result.first_pages]
    assert {n.number for n in notices} == {
        next(n.number for n in notices if n.number in t) for t in texts
    }
    # The formal notice of the professional is printed too (formal_notice action).
    assert any("MISE EN DEMEURE" in t for t in texts)


def test_coll_2_print_skips_printed_unless_reprint(notices):
    DunningNotice.objects.filter(pk=notices[0].pk).update(printed_at=NOW)
    out = io.BytesIO()
    result = notices_print(DunningNotice.objects.all(), out, now=NOW + dt.timedelta(days=1))
    assert result.notices == 3
    again = notices_print(DunningNotice.objects.all(), io.BytesIO())
    assert again.notices == 0
    assert again.pages == 0
    reprinted = notices_print(
        DunningNotice.objects.filter(pk=notices[0].pk),
        io.BytesIO(),
        reprint=True,
        now=NOW + dt.timedelta(days=2),
    )
    assert reprinted.notices == 1
    assert DunningNotice.objects.get(pk=notices[0].pk).printed_at == NOW + dt.timedelta(days=2)


def test_coll_2_print_only_notices_with_a_letter_action(notices):
    DunningNotice.objects.filter(pk=notices[1].pk).update(actions=["email", "sms"])
    ids = letters_to_print(DunningNotice.objects.all())
    assert notices[1].pk not in ids
    assert len(ids) == 3
    notices_print(DunningNotice.objects.all(), io.BytesIO(), now=NOW)
    assert DunningNotice.objects.get(pk=notices[1].pk).printed_at is None


def test_coll_2_print_in_small_batches_gives_one_pdf(notices, django_assert_max_num_queries):
    out = io.BytesIO()
    with django_assert_max_num_queries(1 + 2 * 3 + 4):  # two batches of 3 queries, 2 updates
        result = notices_print(DunningNotice.objects.all(), out, batch_size=2, now=NOW)
    assert result.notices == 4
    assert len(PdfReader(io.BytesIO(out.getvalue())).pages) == result.pages
    with pytest.raises(ValueError, match="batch_size"):
        notices_print(DunningNotice.objects.all(), io.BytesIO(), batch_size=0)


def test_coll_2_print_in_postal_order(notices):
    ids = letters_to_print(DunningNotice.objects.all())
    keys = [
        (n.account.party.postcode, n.account.party.city, n.account.party.name)
        for n in sorted(
            DunningNotice.objects.select_related("account__party"), key=lambda n: ids.index(n.pk)
        )
    ]
    assert keys == sorted(keys)
