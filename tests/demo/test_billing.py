"""Demo bills (BILL-1…6): tariffs over every commune, runs, held bills, credit notes.

Runs on SQLite and on PostgreSQL (set ``ROBINET_TEST_DATABASE_URL``).
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import TestCase

from robinet.billing.choices import HeldBillStatus, InvoiceKind
from robinet.billing.models import HeldBill, Invoice, InvoiceLine
from robinet.customers.choices import ParticularityKind
from robinet.customers.models import Particularity
from robinet.demo import billing, data
from robinet.demo.generator import generate
from robinet.tariffs import schema
from robinet.tariffs.models import TariffVersion, TariffZone

TODAY = dt.date(2026, 11, 22)
CUSTOMERS = 1200


def test_period_ends_are_the_half_years_since_the_takeover():
    assert billing.takeover_date(TODAY) == dt.date(2024, 12, 31)
    assert billing.period_ends(TODAY) == [
        dt.date(2025, 6, 30),
        dt.date(2025, 12, 31),
        dt.date(2026, 6, 30),
    ]
    # Issued five days after the period end, never after today.
    assert billing.period_ends(dt.date(2026, 7, 4))[-1] == dt.date(2025, 12, 31)
    assert billing.period_ends(dt.date(2026, 7, 5))[-1] == dt.date(2026, 6, 30)


def test_demo_tariffs_cover_every_commune_in_2025_and_2026_with_each_kind():
    communes = {c for _a, _n, centres in data.AGENCIES for _c, _cn, ins in centres for c in ins}
    versions = [schema.load_yaml(p.read_text()) for p in billing.tariff_files()]
    for commune in communes:
        spans = sorted((v.valid_from, v.valid_to) for v in versions if commune in v.zone)
        assert spans, commune
        assert spans[0][0] <= dt.date(2025, 1, 1)
        assert spans[-1][1] is None
        for (_start, end), (next_start, _end) in zip(spans, spans[1:], strict=False):
            assert end + dt.timedelta(days=1) == next_start, commune  # no gap, no overlap
        # BILL-2: the change falls inside a half-year, so the bills split there.
        changes = [start for start, _end in spans[1:]]
        assert all(day.month not in (1, 7) or day.day != 1 for day in changes), commune
    assert len({frozenset(v.zone) for v in versions}) >= 3
    components = [c for v in versions for c in v.components]
    assert any(c.social is not None for c in components)  # social tariff option
    assert any(c.seasons for c in components)  # seasonal price
    degressive = [v for v in versions if v.degressive_allowed]
    assert degressive
    for version in versions:
        assert not [w for w in schema.check_tariff(version)], version.code


class DemoBillsTests(TestCase):
    """One demo utility with its two years of bills."""

    @classmethod
    def setUpTestData(cls):
        generate(customers=CUSTOMERS, seed=11, today=TODAY, readings=True)
        cls.summary = billing.bill(today=TODAY)

    def test_every_demo_commune_has_a_tariff(self):
        communes = {c for _a, _n, centres in data.AGENCIES for _c, _cn, ins in centres for c in ins}
        zoned = set(TariffZone.objects.values_list("commune_insee", flat=True))
        assert communes <= zoned
        assert TariffVersion.objects.count() == len(billing.tariff_files())

    def test_one_run_per_half_year_all_done(self):
        assert [r.parameters["period_end"] for r in self.summary.runs] == [
            "2025-06-30",
            "2025-12-31",
            "2026-06-30",
        ]
        for run in self.summary.runs:
            assert run.state == "done", run.last_error
            assert run.failed == 0
            assert run.succeeded > CUSTOMERS * 0.8

    def test_bills_in_every_state(self):
        assert Invoice.objects.filter(kind=InvoiceKind.PERIODIC, generation=0).count() > 2000
        assert Invoice.objects.filter(kind=InvoiceKind.FINAL).exists()
        held = HeldBill.objects.filter(status=HeldBillStatus.HELD)
        assert held.exists()
        codes = {
            code
            for value in held.values_list("reason_codes", flat=True)
            for code in value.split(",")
        }
        assert "amount_above_threshold" in codes or "volume_above_threshold" in codes
        # Leak reliefs (BILL-9) make credit notes of their own, counted elsewhere.
        notes = Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE, leak_relief__isnull=True)
        assert self.summary.credit_notes_full >= 3
        assert self.summary.credit_notes_partial >= 3
        assert notes.count() == self.summary.credit_notes_full + self.summary.credit_notes_partial
        full = [n for n in notes if n.total_incl_vat == n.credited_invoice.total_incl_vat]
        partial = [n for n in notes if n.total_incl_vat < n.credited_invoice.total_incl_vat]
        assert len(full) >= 3
        assert len(partial) >= 3
        # Rebilled after a full credit note: a second generation of the same period.
        for note in full:
            invoice = note.credited_invoice
            assert Invoice.objects.filter(
                contract_id=invoice.contract_id,
                period_start=invoice.period_start,
                generation=invoice.generation + 1,
            ).exists()
        # The takeover periods are cancelled, never billed.
        assert not Invoice.objects.filter(period_end__lte=billing.takeover_date(TODAY)).exists()

    def test_bills_split_at_the_tariff_change_and_the_seasons(self):
        split = [
            periods
            for periods in Invoice.objects.filter(kind=InvoiceKind.PERIODIC).values_list(
                "tariff_periods", flat=True
            )
            if len({p["tariff"] for p in periods}) == 2
        ]
        assert split
        assert InvoiceLine.objects.filter(label__icontains="saison").exists() or any(
            len(p) > 1 for p in split
        )

    def test_social_tariff_accounts(self):
        social = Particularity.objects.filter(kind=ParticularityKind.SOCIAL_TARIFF)
        assert social.exists()
        assert social.filter(ended_on__isnull=False).exists()

    def test_bills_reconcile(self):
        lines = defaultdict(lambda: defaultdict(Decimal))
        for invoice_id, rate, amount in InvoiceLine.objects.values_list(
            "invoice_id", "vat_rate", "amount_excl_vat"
        ):
            lines[invoice_id][Decimal(rate).normalize()] += amount
        invoices = list(Invoice.objects.all())
        assert invoices
        for invoice in invoices:
            bases = sum((Decimal(v["base"]) for v in invoice.vat_breakdown), Decimal(0))
            vat = sum((Decimal(v["amount"]) for v in invoice.vat_breakdown), Decimal(0))
            assert invoice.total_excl_vat == bases, invoice.number
            assert invoice.total_vat == vat, invoice.number
            assert invoice.total_incl_vat == bases + vat, invoice.number
            by_rate = {
                Decimal(v["rate"]).normalize(): Decimal(v["base"]) for v in invoice.vat_breakdown
            }
            if invoice.kind != InvoiceKind.CREDIT_NOTE or by_rate:
                for rate, base in by_rate.items():
                    assert lines[invoice.pk][rate] == base, invoice.number

    def test_fees_invoices_and_quotes_in_every_state(self):
        """BILL-7 in the demo: fees invoices and works quotes in most states."""
        from robinet.billing.models import Quote

        assert {"fees", "works"} <= set(Invoice.objects.values_list("kind", flat=True))
        statuses = set(Quote.objects.values_list("status", flat=True))
        assert {"draft", "sent", "refused", "invoiced"} <= statuses
        assert "contribution" in set(Invoice.objects.values_list("kind", flat=True))

    def test_leak_reliefs_and_monthly_payers(self):
        """BILL-9 and BILL-10 in the demo."""
        from robinet.billing.models import BudgetPlan, LeakReliefRequest

        assert LeakReliefRequest.objects.exists()
        assert BudgetPlan.objects.filter(status="active").exists()

    def test_bill_10_a_quarter_of_the_accounts_pay_monthly_and_a_year_is_settled(self):
        """BILL-10 in the demo: about 25 % of the accounts have a schedule; every account
        flagged as paying monthly has one; the plans whose year is over are settled with the
        next year's schedule."""
        from robinet.billing.models import BudgetPlan
        from robinet.customers.models import CustomerAccount

        accounts = CustomerAccount.objects.count()
        paying = set(BudgetPlan.objects.values_list("account_id", flat=True))
        assert abs(len(paying) - accounts * billing.MONTHLY_SHARE / 100) <= 2
        flagged = set(
            CustomerAccount.objects.filter(monthly_payment=True).values_list("pk", flat=True)
        )
        assert flagged == paying
        assert all(plan.instalments.count() == 10 for plan in BudgetPlan.objects.all())
        over = BudgetPlan.objects.filter(period_end__lt=TODAY)
        assert over.count() == billing.SETTLED_PAYERS
        assert billing.settle_monthly_payers(TODAY) == billing.SETTLED_PAYERS
        for plan in over:
            assert plan.status == "settled"
            assert plan.settled_invoices
            assert BudgetPlan.objects.filter(previous_plan=plan, status="active").exists()


@pytest.mark.django_db
def test_demo_command_bills_unless_told_not_to():
    out = StringIO()
    call_command("demo", "--no-serve", "--customers", "60", "--no-billing", stdout=out)
    assert not Invoice.objects.exists()
    assert "0 facture" in out.getvalue()


@pytest.mark.django_db
def test_demo_command_prints_the_billing_figures():
    out = StringIO()
    call_command("demo", "--no-serve", "--customers", "80", stdout=out)
    output = out.getvalue()
    assert Invoice.objects.exists()
    assert "Tarifs : 6 versions" in output
    assert "avoir" in output
    # The reports read a snapshot at once (REP-1, decision 0011).
    from robinet.reporting import snapshot

    assert "Instantané de pilotage" in output
    assert snapshot.current() is not None
