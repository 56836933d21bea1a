"""``robinet billing run --period-end YYYY-MM-DD [--entity CODE] [--cycle …]``, ``resume ID``, ``status ID``.

A billing run (BILL-4) with a progress bar; the run is a recorded object,
so ``resume`` picks up exactly the chunks a crash left undone.
"""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from robinet.billing import selectors, services
from robinet.core.exceptions import ApplicationError
from robinet.core.runs import execute_chunk, run_finish, run_resume
from robinet.customers.choices import BillingCycle


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Date invalide : « {value} » (attendu AAAA-MM-JJ).") from None


class ProgressExecutor:
    """The in-process executor, drawing a progress bar after each chunk."""

    def __init__(self, out) -> None:
        self.out = out

    def submit(self, run) -> None:
        label = run._meta.label_lower
        pending = list(
            run.chunks.exclude(state="done").order_by("index").values_list("index", flat=True)
        )
        started = time.perf_counter()
        for n, index in enumerate(pending, start=1):
            if execute_chunk(label, run.pk, index) == "stopped":
                break
            run.refresh_from_db(fields=["succeeded", "failed", "skipped", "total"])
            self._draw(run, n, len(pending), time.perf_counter() - started)
        self.out.write("\n")
        run_finish(run=run)

    def _draw(self, run, done: int, chunks: int, elapsed: float) -> None:
        width = 30
        filled = width * done // max(chunks, 1)
        rate = run.processed / elapsed if elapsed else 0
        self.out.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {run.progress_percent:3d} % "
            f"{run.processed}/{run.total} abonnements — {rate:,.0f}/s".replace(",", " "),
            ending="",
        )
        self.out.flush()


class Command(BaseCommand):
    help = "Facturation de masse (BILL-4) : lancer, reprendre, consulter."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="lancer une facturation")
        run.add_argument("--period-end", required=True, help="fin de période (AAAA-MM-JJ)")
        run.add_argument("--entity", default="", help="code de l'entité (centre, agence…)")
        run.add_argument("--cycle", default="", choices=["", *BillingCycle.values])
        run.add_argument("--issue-date", help="date d'émission (aujourd'hui par défaut)")
        run.add_argument("--chunk-size", type=int, help="abonnements par lot")
        resume = sub.add_parser("resume", help="reprendre une facturation interrompue")
        resume.add_argument("run_id", type=int)
        status = sub.add_parser("status", help="état et compte rendu d'une facturation")
        status.add_argument("run_id", type=int)

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except ApplicationError as exc:
            details = "; ".join(f"{k} : {', '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {details}".strip()) from None

    def _run(self, *, period_end, entity, cycle, issue_date, chunk_size, **options):
        run = services.billing_run_create(
            actor=None,
            period_end=_date(period_end),
            entity_code=entity,
            cycle=cycle,
            issue_date=_date(issue_date) if issue_date else None,
            chunk_size=chunk_size,
        )
        self.stdout.write(f"Facturation n° {run.pk} : {run.total} abonnement(s) à examiner.")
        started = time.perf_counter()
        run = services.billing_run_execute(
            actor=None, run=run, executor=ProgressExecutor(self.stdout)
        )
        self._report(run, time.perf_counter() - started)

    def _resume(self, *, run_id, **options):
        run = selectors.run_get_for_user(user=None, pk=run_id)
        started = time.perf_counter()
        run = run_resume(run=run, executor=ProgressExecutor(self.stdout))
        self._report(run, time.perf_counter() - started)

    def _status(self, *, run_id, **options):
        self._report(selectors.run_get_for_user(user=None, pk=run_id), None)

    def _report(self, run, elapsed: float | None) -> None:
        report = selectors.run_report(run)
        write = self.stdout.write
        write(f"Facturation n° {run.pk} — état : {run.get_state_display()}")
        write(
            f"  {report['invoices']} facture(s) émise(s) pour {report['billed_contracts']} "
            f"abonnement(s), {report['held_contracts']} bloqué(s), "
            f"{report['skipped_contracts']} sans objet, {report['failed_contracts']} en échec"
        )
        write(
            f"  Total HT {report['total_excl_vat']} €, TVA {report['total_vat']} €, "
            f"TTC {report['total_incl_vat']} € — {report['volume']} m³"
        )
        if elapsed:
            rate = report["invoices"] / elapsed if elapsed else 0
            write(f"  {elapsed:.1f} s, {rate:,.0f} factures/s".replace(",", " "))
        for item in report["items"][:50]:
            if item["status"] != "skipped" or item["code"].startswith("held:"):
                write(f"  {item['contract']} : {item['code']} — {item['message']}")
        if run.state == "failed":
            raise CommandError(f"Des lots ont échoué : robinet billing resume {run.pk}")
