"""``robinet billing run --period-end YYYY-MM-DD [--entity CODE] [--cycle …]``, ``resume ID``, ``status ID``,
``stats --from D --to D [--entity CODE] [--format csv|text] [-o FILE]``,
``print-export RUN_ID -o FILE.csv [--pdf FILE.pdf]``.

A billing run (BILL-4) with a progress bar; the run is a recorded object,
so ``resume`` picks up exactly the chunks a crash left undone. ``stats`` prints
the billing statistics and ``print-export`` writes the print-shop file (BILL-12).
"""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from robinet.billing import printing, rendering, selectors, services, statistics
from robinet.core.commands import RunProgress
from robinet.core.exceptions import ApplicationError
from robinet.core.runs import run_resume
from robinet.customers.choices import BillingCycle
from robinet.organisation.models import Entity


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Date invalide : « {value} » (attendu AAAA-MM-JJ).") from None


NOUN = "abonnements"  # what a billing run's items are


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
        stats = sub.add_parser("stats", help="statistiques de facturation (BILL-12)")
        stats.add_argument("--from", dest="date_from", required=True, help="émises depuis le")
        stats.add_argument("--to", dest="date_to", required=True, help="émises jusqu'au")
        stats.add_argument("--entity", default="", help="code de l'entité (tout sinon)")
        stats.add_argument("--format", default="text", choices=["text", "csv"])
        stats.add_argument("-o", "--output", help="fichier (sortie standard sinon)")
        export = sub.add_parser("print-export", help="fichier d'édition des factures (BILL-12)")
        export.add_argument("run_id", type=int)
        export.add_argument("-o", "--output", required=True, help="fichier CSV")
        export.add_argument("--pdf", help="PDF des factures fusionnées, dans le même ordre")
        render = sub.add_parser(
            "render", help="rendre les PDF d'une facturation terminée, sur les workers (BILL-8)"
        )
        render.add_argument("run_id", type=int)

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action.replace('-', '_')}")(**options)
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
            actor=None, run=run, executor=RunProgress(self.stdout, NOUN)
        )
        self._report(run, time.perf_counter() - started)

    def _resume(self, *, run_id, **options):
        run = selectors.run_get_for_user(user=None, pk=run_id)
        started = time.perf_counter()
        run = run_resume(run=run, executor=RunProgress(self.stdout, NOUN))
        self._report(run, time.perf_counter() - started)

    def _render(self, *, run_id, **options):
        billing_run = selectors.run_get_for_user(user=None, pk=run_id)
        started = time.perf_counter()
        run = services.billing_run_render(
            actor=None, run=billing_run, executor=RunProgress(self.stdout, NOUN)
        )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Édition PDF n° {run.pk} de la facturation n° {billing_run.pk} — "
            f"{run.get_state_display()} : {run.succeeded} document(s) rendu(s), "
            f"{run.failed} en échec, en {elapsed:.1f} s, dans {rendering.folder(billing_run)}"
        )
        if run.failed:
            raise CommandError(f"{run.failed} document(s) en échec (robinet billing status).")

    def _status(self, *, run_id, **options):
        self._report(selectors.run_get_for_user(user=None, pk=run_id), None)

    def _stats(self, *, date_from, date_to, entity, format, output, **options):
        the_entity = None
        if entity:
            the_entity = Entity.objects.filter(code=entity).first()
            if the_entity is None:
                raise CommandError(f"Entité inconnue : « {entity} ».")
        stats = statistics.billing_statistics(
            user=None, date_from=_date(date_from), date_to=_date(date_to), entity=the_entity
        )
        if format == "csv":
            text = statistics.statistics_csv(stats)
        else:
            text = statistics.statistics_text(stats)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            self.stdout.write(f"Statistiques écrites dans {output}.")
        else:
            self.stdout.write(text, ending="")

    def _print_export(self, *, run_id, output, pdf, **options):
        run = selectors.run_get_for_user(user=None, pk=run_id)
        printing.check_printable(run)
        with open(output, "w", encoding="utf-8", newline="") as handle:
            if pdf:
                with open(pdf, "wb") as pdf_handle:
                    result = printing.print_export(run, handle, pdf_handle)
            else:
                result = printing.print_export(run, handle)
        self.stdout.write(
            f"Édition de la facturation n° {run.pk} : {result.documents} document(s) dans {output}."
        )
        if pdf:
            self.stdout.write(f"  {result.pages} page(s) fusionnée(s) dans {pdf}.")

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
